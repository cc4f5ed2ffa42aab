/*
 * Reads the "digests" section of the configuration. Each digest has a
 * unique name, an audience, a cron schedule in a time zone, a period
 * label, the notify sinks it goes to and the number of items per section.
 * Every key is checked, so a misspelt one is an error that names it and
 * its place, such as "digests[1]".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/config_tree.h"
#include "schedule/schedule.h"
#include "util/alloc.h"
#include "util/timeutil.h"

#define DIGESTS_MAX 32
#define NAME_MAX_LEN 64
#define SCHEDULE_TEXT_MAX 128
#define SINKS_PER_DIGEST_MAX 32
#define MAX_ITEMS_LIMIT 100
#define MAX_ITEMS_DEFAULT 10

static const char *const digest_keys[] = { "name",   "audience", "schedule", "timezone",
					   "period", "sinks",    "max_items", NULL };

static enum ch_code load_name(const json_t *obj, const char *where,
			      const struct schedule_config *cfg, struct schedule_digest *d,
			      struct ch_error *err)
{
	if (!json_object_get(obj, "name"))
		return ch_fail(err, CH_INVALID, "%s has no name; add name: followed by a unique name such as le-daily",
			       where);
	if (config_get_text(obj, "name", where, NAME_MAX_LEN, false, &d->name, err) != CH_OK)
		return CH_INVALID;
	for (const char *p = d->name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return ch_fail(err, CH_INVALID,
				       "%s.name '%s' is invalid; use letters, digits, '-', '_' and '.'",
				       where, d->name);
	}
	for (const struct schedule_digest *other = cfg->digests; other < d; other++) {
		if (strcmp(other->name, d->name) == 0)
			return ch_fail(err, CH_INVALID,
				       "%s.name '%s' is used by another digest; digest names must be unique",
				       where, d->name);
	}
	return CH_OK;
}

static enum ch_code load_audience(const json_t *obj, const char *where,
				  struct schedule_digest *d, struct ch_error *err)
{
	char *text = NULL;
	struct ch_error detail = { 0 };
	enum ch_code rc;

	if (!json_object_get(obj, "audience"))
		return ch_fail(err, CH_INVALID, "%s has no audience; use le, member or org:NAME", where);
	if (config_get_text(obj, "audience", where, 80, true, &text, err) != CH_OK)
		return CH_INVALID;
	rc = digest_audience_parse(text, &d->audience, &detail);
	if (rc != CH_OK)
		ch_fail(err, CH_INVALID, "%s.audience: %s", where, detail.message);
	free(text);
	return rc;
}

/* Reads schedule and timezone, and checks that the schedule ever runs.
 * The check also makes the first time zone conversion here, before the
 * server's threads start, which cron.c requires. */
static enum ch_code load_schedule(const json_t *obj, const char *where,
				  struct schedule_digest *d, int64_t now, struct ch_error *err)
{
	char *text = NULL;
	char *zone = NULL;
	struct ch_error detail = { 0 };
	int64_t next;
	enum ch_code rc = CH_INVALID;

	if (!json_object_get(obj, "schedule"))
		return ch_fail(err, CH_INVALID,
			       "%s has no schedule; add five cron fields such as '0 7 * * *' (07:00 every day)",
			       where);
	if (config_get_text(obj, "schedule", where, SCHEDULE_TEXT_MAX, true, &text, err) != CH_OK ||
	    config_get_text(obj, "timezone", where, CRON_ZONE_MAX - 1, false, &zone, err) != CH_OK)
		goto out;
	if (cron_parse(text, &d->schedule, &detail) != CH_OK ||
	    (zone && cron_set_zone(&d->schedule, zone, &detail) != CH_OK)) {
		ch_fail(err, CH_INVALID, "%s: %s", where, detail.message);
		goto out;
	}
	if (cron_next(&d->schedule, now, &next, &detail) != CH_OK) {
		ch_fail(err, CH_INVALID, "%s.schedule '%s': %s", where, text, detail.message);
		goto out;
	}
	rc = CH_OK;
out:
	free(text);
	free(zone);
	return rc;
}

static enum ch_code load_period(const json_t *obj, const char *where,
				struct schedule_digest *d, struct ch_error *err)
{
	char *text = NULL;
	enum ch_code rc = CH_OK;

	memcpy(d->period, "daily", 6);
	if (config_get_text(obj, "period", where, 16, false, &text, err) != CH_OK)
		return CH_INVALID;
	if (text && strcmp(text, "daily") != 0 && strcmp(text, "weekly") != 0)
		rc = ch_fail(err, CH_INVALID, "%s.period '%s' is invalid; use daily or weekly", where,
			     text);
	else if (text)
		snprintf(d->period, sizeof(d->period), "%s", text);
	free(text);
	return rc;
}

static enum ch_code load_sinks(const json_t *obj, const char *where,
			       const struct notify_config *notify, struct schedule_digest *d,
			       struct ch_error *err)
{
	const json_t *list = json_object_get(obj, "sinks");
	const json_t *item;
	size_t i;

	if (!list || !json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > SINKS_PER_DIGEST_MAX)
		return ch_fail(err, CH_INVALID,
			       "%s.sinks must be a list of 1 to %d names of notify.sinks, such as [le-mail, cert-channel]",
			       where, SINKS_PER_DIGEST_MAX);
	d->sinks = xcalloc(json_array_size(list), sizeof(*d->sinks));
	json_array_foreach(list, i, item) {
		const struct notify_sink *sink = NULL;

		for (size_t j = 0; json_is_string(item) && j < notify->sink_count; j++) {
			if (strcmp(notify->sinks[j].name, json_string_value(item)) == 0)
				sink = &notify->sinks[j];
		}
		if (!sink)
			return ch_fail(err, CH_INVALID,
				       "%s.sinks[%zu] '%.64s' is not a sink; add it under notify.sinks or use the name of one there",
				       where, i, json_is_string(item) ? json_string_value(item) : "");
		for (size_t j = 0; j < d->sink_count; j++) {
			if (d->sinks[j] == sink)
				return ch_fail(err, CH_INVALID, "%s.sinks lists '%s' twice", where,
					       sink->name);
		}
		d->sinks[d->sink_count++] = sink;
	}
	return CH_OK;
}

static enum ch_code load_max_items(const json_t *obj, const char *where,
				   struct schedule_digest *d, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, "max_items");

	d->max_items = MAX_ITEMS_DEFAULT;
	if (!value)
		return CH_OK;
	if (!json_is_integer(value) || json_integer_value(value) < 1 ||
	    json_integer_value(value) > MAX_ITEMS_LIMIT)
		return ch_fail(err, CH_INVALID, "%s.max_items must be a whole number from 1 to %d",
			       where, MAX_ITEMS_LIMIT);
	d->max_items = (size_t)json_integer_value(value);
	return CH_OK;
}

static enum ch_code load_digest(const json_t *obj, const char *where,
				const struct notify_config *notify, struct schedule_config *cfg,
				struct schedule_digest *d, int64_t now, struct ch_error *err)
{
	if (!json_is_object(obj))
		return ch_fail(err, CH_INVALID,
			       "%s must be a mapping with name, audience, schedule and sinks, not %s",
			       where, config_kind(obj));
	if (config_check_keys(obj, digest_keys, where, err) != CH_OK ||
	    load_name(obj, where, cfg, d, err) != CH_OK ||
	    load_audience(obj, where, d, err) != CH_OK ||
	    load_schedule(obj, where, d, now, err) != CH_OK ||
	    load_period(obj, where, d, err) != CH_OK ||
	    load_sinks(obj, where, notify, d, err) != CH_OK)
		return CH_INVALID;
	return load_max_items(obj, where, d, err);
}

enum ch_code schedule_config_load(const json_t *root, const struct notify_config *notify,
				  struct schedule_config *out, struct ch_error *err)
{
	struct schedule_config cfg = { 0 };
	const json_t *list = root ? json_object_get(root, "digests") : NULL;
	const json_t *item;
	char where[CONFIG_WHERE_MAX];
	int64_t now = time_now();
	size_t i;

	if (!list || json_is_null(list)) {
		*out = cfg;
		return CH_OK;
	}
	if (!json_is_array(list))
		return ch_fail(err, CH_INVALID, "digests must be a list of digests, not %s",
			       config_kind(list));
	if (json_array_size(list) > DIGESTS_MAX)
		return ch_fail(err, CH_INVALID, "digests lists %zu digests; at most %d are allowed",
			       json_array_size(list), DIGESTS_MAX);

	cfg.digests = xcalloc(json_array_size(list) + 1, sizeof(*cfg.digests));
	json_array_foreach(list, i, item) {
		snprintf(where, sizeof(where), "digests[%zu]", i);
		/* Counted first, so a half-read digest is freed with the rest. */
		cfg.count++;
		if (load_digest(item, where, notify, &cfg, &cfg.digests[i], now, err) != CH_OK) {
			schedule_config_free(&cfg);
			return CH_INVALID;
		}
	}
	*out = cfg;
	return CH_OK;
}

void schedule_config_free(struct schedule_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->digests[i].name);
		free(cfg->digests[i].sinks);
	}
	free(cfg->digests);
	memset(cfg, 0, sizeof(*cfg));
}
