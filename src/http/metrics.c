/*
 * Request metrics in Prometheus text format 0.0.4. Every series is keyed by
 * the route pattern, never the raw path, and by one of a fixed set of
 * methods and statuses, so a client cannot grow the number of series.
 * Routes that share a pattern (GET and DELETE on /reports/{id}) share one
 * set of counters. Each finished request costs three relaxed atomic adds
 * and no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "util/alloc.h"

/* Statuses with a label of their own; any other status is counted under
 * its class, such as "4xx". */
static const int tracked_statuses[] = {
	200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408,
	409, 410, 411, 412, 413, 414, 415, 416, 422, 428, 429, 431, 500, 501, 502, 503, 504,
};

#define TRACKED_COUNT (sizeof(tracked_statuses) / sizeof(tracked_statuses[0]))
/* Slots after the tracked statuses: classes 1xx to 5xx, then "other" for
 * a status outside 100..599. */
#define CLASS_SLOT(status) (TRACKED_COUNT + (size_t)(status) / 100 - 1)
#define OTHER_SLOT (TRACKED_COUNT + 5)
#define STATUS_SLOTS (OTHER_SLOT + 1)

/* Upper bounds of the latency buckets in seconds, from 0.5 ms for a cached
 * lookup to 5 s for a slow export. A last bucket (+Inf) counts the rest. */
static const double bucket_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

#define BUCKET_COUNT (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]) + 1)

struct route_stats {
	atomic_uint_least64_t requests[HTTP_METHOD_COUNT][STATUS_SLOTS];
	atomic_uint_least64_t buckets[BUCKET_COUNT]; /* per bucket, not cumulative */
	atomic_uint_least64_t duration_ns_sum;
};

struct http_metrics {
	size_t slot_count; /* routes plus the unmatched slot */
	/* Slot of the first route with the same pattern, whose counters this
	 * slot shares. */
	size_t *label_slot;
	const char **labels;
	struct route_stats *stats;
	uint64_t bucket_ns[BUCKET_COUNT - 1];
	unsigned char status_slot[600];
	atomic_int in_flight;
};

static void init_status_slots(struct http_metrics *m)
{
	for (int status = 0; status < 600; status++)
		m->status_slot[status] =
			(unsigned char)(status < 100 ? OTHER_SLOT : CLASS_SLOT(status));
	for (size_t i = 0; i < TRACKED_COUNT; i++)
		m->status_slot[tracked_statuses[i]] = (unsigned char)i;
}

struct http_metrics *http_metrics_new(const struct http_router *router)
{
	struct http_metrics *m = xcalloc(1, sizeof(*m));

	m->slot_count = router->count + 1;
	m->label_slot = xcalloc(m->slot_count, sizeof(*m->label_slot));
	m->labels = xcalloc(m->slot_count, sizeof(*m->labels));
	m->stats = xcalloc(m->slot_count, sizeof(*m->stats));

	for (size_t i = 0; i < router->count; i++) {
		m->labels[i] = router->routes[i].pattern;
		m->label_slot[i] = i;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(router->routes[j].pattern, m->labels[i]) == 0) {
				m->label_slot[i] = j;
				break;
			}
		}
	}
	m->labels[router->count] = "unmatched";
	m->label_slot[router->count] = router->count;

	for (size_t i = 0; i + 1 < BUCKET_COUNT; i++)
		m->bucket_ns[i] = (uint64_t)(bucket_bounds[i] * 1e9);
	init_status_slots(m);
	return m;
}

void http_metrics_free(struct http_metrics *m)
{
	if (!m)
		return;
	free(m->label_slot);
	free(m->labels);
	free(m->stats);
	free(m);
}

void http_metrics_start(struct http_metrics *m)
{
	atomic_fetch_add_explicit(&m->in_flight, 1, memory_order_relaxed);
}

int http_metrics_in_flight(const struct http_metrics *m)
{
	return atomic_load_explicit(&m->in_flight, memory_order_relaxed);
}

void http_metrics_finish(struct http_metrics *m, size_t route_slot, enum http_method method,
			 int status, uint64_t duration_ns)
{
	struct route_stats *st;
	size_t bucket = 0;

	if (status != 0) {
		if (route_slot >= m->slot_count)
			route_slot = m->slot_count - 1;
		st = &m->stats[m->label_slot[route_slot]];
		if ((unsigned)method >= HTTP_METHOD_COUNT)
			method = HTTP_METHOD_OTHER;

		atomic_fetch_add_explicit(
			&st->requests[method][status >= 0 && status < 600 ? m->status_slot[status]
									 : OTHER_SLOT],
			1, memory_order_relaxed);
		while (bucket + 1 < BUCKET_COUNT && duration_ns > m->bucket_ns[bucket])
			bucket++;
		atomic_fetch_add_explicit(&st->buckets[bucket], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&st->duration_ns_sum, duration_ns, memory_order_relaxed);
	}
	/* Last, because the server's shutdown waits for this to reach 0. */
	atomic_fetch_sub_explicit(&m->in_flight, 1, memory_order_release);
}

/* Appends a label value with \, " and newline escaped as the text format
 * requires. */
static enum ch_code append_label(struct buf *out, const char *value)
{
	enum ch_code rc = CH_OK;

	for (const char *p = value; *p && rc == CH_OK; p++) {
		if (*p == '\\' || *p == '"')
			rc = buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_append_str(out, "\\n");
		else
			rc = buf_append_char(out, *p);
	}
	return rc;
}

static void status_label(size_t slot, char out[8])
{
	if (slot < TRACKED_COUNT)
		snprintf(out, 8, "%d", tracked_statuses[slot]);
	else if (slot == OTHER_SLOT)
		snprintf(out, 8, "other");
	else
		snprintf(out, 8, "%zuxx", slot - TRACKED_COUNT + 1);
}

static enum ch_code render_requests(const struct http_metrics *m, size_t slot, struct buf *out)
{
	const struct route_stats *st = &m->stats[slot];
	enum ch_code rc = CH_OK;
	char status[8];

	for (int method = 0; method < HTTP_METHOD_COUNT && rc == CH_OK; method++) {
		for (size_t s = 0; s < STATUS_SLOTS && rc == CH_OK; s++) {
			uint64_t n = atomic_load_explicit(&st->requests[method][s],
							  memory_order_relaxed);

			if (n == 0)
				continue;
			status_label(s, status);
			rc = buf_append_str(out, "ctihub_http_requests_total{route=\"");
			if (rc == CH_OK)
				rc = append_label(out, m->labels[slot]);
			if (rc == CH_OK)
				rc = buf_printf(out, "\",method=\"%s\",status=\"%s\"} %llu\n",
						http_method_name((enum http_method)method), status,
						(unsigned long long)n);
		}
	}
	return rc;
}

static enum ch_code render_histogram(const struct http_metrics *m, size_t slot, struct buf *out)
{
	const struct route_stats *st = &m->stats[slot];
	const char *name = "ctihub_http_request_duration_seconds";
	uint64_t counts[BUCKET_COUNT];
	uint64_t total = 0;
	enum ch_code rc = CH_OK;

	for (size_t i = 0; i < BUCKET_COUNT; i++) {
		counts[i] = atomic_load_explicit(&st->buckets[i], memory_order_relaxed);
		total += counts[i];
	}
	if (total == 0)
		return CH_OK;

	uint64_t cumulative = 0;
	for (size_t i = 0; i < BUCKET_COUNT && rc == CH_OK; i++) {
		cumulative += counts[i];
		rc = buf_printf(out, "%s_bucket{route=\"", name);
		if (rc == CH_OK)
			rc = append_label(out, m->labels[slot]);
		if (rc == CH_OK && i + 1 < BUCKET_COUNT)
			rc = buf_printf(out, "\",le=\"%g\"} %llu\n", bucket_bounds[i],
					(unsigned long long)cumulative);
		else if (rc == CH_OK)
			rc = buf_printf(out, "\",le=\"+Inf\"} %llu\n",
					(unsigned long long)cumulative);
	}
	if (rc == CH_OK)
		rc = buf_printf(out, "%s_sum{route=\"", name);
	if (rc == CH_OK)
		rc = append_label(out, m->labels[slot]);
	if (rc == CH_OK)
		rc = buf_printf(out, "\"} %.6f\n",
				(double)atomic_load_explicit(&st->duration_ns_sum,
							     memory_order_relaxed) / 1e9);
	if (rc == CH_OK)
		rc = buf_printf(out, "%s_count{route=\"", name);
	if (rc == CH_OK)
		rc = append_label(out, m->labels[slot]);
	if (rc == CH_OK)
		rc = buf_printf(out, "\"} %llu\n", (unsigned long long)total);
	return rc;
}

enum ch_code http_metrics_render(const struct http_metrics *m, struct buf *out)
{
	enum ch_code rc;

	rc = buf_append_str(out,
			    "# HELP ctihub_http_requests_total HTTP requests answered, by route "
			    "pattern, method and status.\n"
			    "# TYPE ctihub_http_requests_total counter\n");
	for (size_t slot = 0; slot < m->slot_count && rc == CH_OK; slot++) {
		if (m->label_slot[slot] == slot)
			rc = render_requests(m, slot, out);
	}

	if (rc == CH_OK)
		rc = buf_append_str(out,
				    "# HELP ctihub_http_request_duration_seconds Time from the "
				    "request line to the last response byte.\n"
				    "# TYPE ctihub_http_request_duration_seconds histogram\n");
	for (size_t slot = 0; slot < m->slot_count && rc == CH_OK; slot++) {
		if (m->label_slot[slot] == slot)
			rc = render_histogram(m, slot, out);
	}

	if (rc == CH_OK)
		rc = buf_printf(out,
				"# HELP ctihub_http_requests_in_flight Requests whose request "
				"line has arrived and whose response is not fully sent.\n"
				"# TYPE ctihub_http_requests_in_flight gauge\n"
				"ctihub_http_requests_in_flight %d\n",
				http_metrics_in_flight(m));
	return rc;
}
