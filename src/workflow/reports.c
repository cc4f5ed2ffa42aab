/*
 * Storing a validated report; see reports.h. The API handler and the chat
 * forms validate with report_validate and then call workflow_report_save.
 */
#include "workflow/reports.h"

#include <stdlib.h>

#include "util/alloc.h"
#include "util/timeutil.h"

static bool lookup_technique(void *ctx_ptr, const char *id, bool *revoked)
{
	struct workflow_catalogue *cat = ctx_ptr;
	struct ch_error err = { 0 };
	bool found = false;

	if (store_attack_technique_get(cat->st, id, &found, revoked, &err) != CH_OK)
		cat->failed = true;
	return found;
}

void workflow_report_context(struct workflow_catalogue *cat, struct store *st,
			     const struct ioc_warnlists *warnlists, struct report_context *ctx)
{
	int64_t catalogue = 0;

	cat->st = st;
	cat->failed = false;
	store_attack_technique_count(st, &catalogue, NULL);
	ctx->technique_lookup = lookup_technique;
	ctx->technique_ctx = cat;
	ctx->technique_catalogue_size = (size_t)catalogue;
	ctx->warnlists = warnlists;
}

/* Resolves share_with names to ids and adds the submitter's own org or
 * user, so the submitter can always read what they sent. */
static bool resolve_readers(struct store *st, const struct report_input *in,
			    const struct principal *who, int64_t **org_ids, size_t *org_count,
			    int64_t **user_ids, size_t *user_count, struct ch_error *err)
{
	*org_ids = xcalloc(in->share_org_count + 1, sizeof(int64_t));
	*user_ids = xcalloc(in->share_user_count + 1, sizeof(int64_t));
	*org_count = 0;
	*user_count = 0;

	if (in->tlp == TLP_AMBER_STRICT) {
		(*org_ids)[(*org_count)++] = who->org_id;
		for (size_t i = 0; i < in->share_org_count; i++) {
			if (store_org_find(st, in->share_orgs[i], &(*org_ids)[*org_count], err) != CH_OK) {
				ch_fail_field(err, CH_INVALID, "share_with.orgs",
					      "organisation '%s' not found; check the name with an operator",
					      in->share_orgs[i]);
				return false;
			}
			(*org_count)++;
		}
	}
	if (in->tlp == TLP_RED) {
		(*user_ids)[(*user_count)++] = who->user_id;
		for (size_t i = 0; i < in->share_user_count; i++) {
			struct store_user user = { 0 };

			if (store_user_find(st, in->share_users[i], &user, err) != CH_OK) {
				ch_fail_field(err, CH_INVALID, "share_with.users",
					      "user '%s' not found; check the name with an operator",
					      in->share_users[i]);
				return false;
			}
			(*user_ids)[(*user_count)++] = user.id;
			store_user_free(&user);
		}
	}
	return true;
}

enum ch_code workflow_report_save(struct store *st, const struct report_input *in,
				  const struct principal *who, int64_t *id, struct ch_error *err)
{
	struct store_report_write w = { 0 };
	int64_t *org_ids = NULL, *user_ids = NULL;
	char *fields = NULL;
	enum ch_code rc;

	if (!resolve_readers(st, in, who, &org_ids, &w.reader_org_count, &user_ids,
			     &w.reader_user_count, err)) {
		rc = CH_INVALID;
		goto out;
	}
	fields = json_dumps(in->fields, JSON_COMPACT | JSON_SORT_KEYS);
	w.kind = report_kind_name(in->kind);
	w.tlp = in->tlp;
	w.title = in->title;
	w.fields_json = fields;
	w.submitter_id = who->user_id;
	w.org_id = who->org_id;
	w.anonymous = in->anonymous;
	w.created = time_now();
	w.confidence = 50;
	w.indicators = &in->indicators;
	w.techniques = in->techniques;
	w.technique_count = in->technique_count;
	w.reader_org_ids = org_ids;
	w.reader_user_ids = user_ids;

	rc = store_begin(st, err);
	if (rc != CH_OK)
		goto out;
	rc = store_report_create(st, &w, id, err);
	if (rc == CH_OK)
		rc = store_commit(st, err);
	if (rc != CH_OK)
		store_rollback(st);

out:
	free(fields);
	free(org_ids);
	free(user_ids);
	return rc;
}
