/*
 * The storage interface. Every SQL statement in ctihub lives in a backend
 * file (store_sqlite.c today, a PostgreSQL backend later); the rest of the
 * code sees only these functions and plain structs.
 *
 * Model: an indicator is unique on (type, value). A report is one submission
 * (an ingested file, a chat message, an API post) from a source, under one
 * TLP. report_indicators links the two. Re-ingesting the same content from
 * the same source finds the existing report (same SHA-256), so it adds no
 * rows and only moves last_seen and times_seen.
 *
 * Times are seconds since the Unix epoch, UTC.
 *
 * Ownership: store_open returns an owned handle; store_close(NULL) is a
 * no-op. Result structs filled by the store own their strings; free them with
 * the matching _free function.
 */
#ifndef CTIHUB_STORE_STORE_H
#define CTIHUB_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"
#include "policy/access.h"
#include "policy/tlp.h"
#include "util/error.h"

struct store;

/* The SQLite backend keeps the audit log in a file of its own: the
 * database's path with this suffix, beside it. */
#define STORE_AUDIT_SUFFIX "-audit"

/* Opens (creating when missing) the database and its audit log and
 * applies every pending migration. */
enum ch_code store_open(const char *path, struct store **out, struct ch_error *err);
void store_close(struct store *st);
/* Schema version after migrations. */
int store_schema_version(struct store *st);

enum ch_code store_begin(struct store *st, struct ch_error *err);
/* Starts a read-only transaction so that several queries share one
 * snapshot and one set of file locks; end it with store_read_end. An
 * audit entry appended meanwhile ends it first. */
enum ch_code store_read_begin(struct store *st, struct ch_error *err);
void store_read_end(struct store *st);
/* Returns whether a transaction is open on st. */
bool store_in_transaction(struct store *st);
enum ch_code store_commit(struct store *st, struct ch_error *err);
void store_rollback(struct store *st);

/* Finds or creates a source by name. */
enum ch_code store_source_ensure(struct store *st, const char *name, int64_t *id,
				 struct ch_error *err);

struct store_report_new {
	int64_t source_id;
	const char *kind;       /* "file", "chat", ... */
	const char *title;      /* file name or subject */
	const char *content_sha256; /* hex digest of the submitted bytes */
	enum tlp_level tlp;
	int64_t created;
};

/* Finds the report of this source with this content hash, or creates it.
 * *existed is true when it was found. A report created without a hash
 * gets it from store_report_set_hash before its transaction commits. */
enum ch_code store_report_ensure(struct store *st, const struct store_report_new *in,
				 int64_t *id, bool *existed, struct ch_error *err);
/* Gives report *id, created without a content hash in the open transaction,
 * its hash. When the source already has a report with that hash, moves the
 * links of *id to it, deletes report *id, and sets *id to the older report
 * and *existed to true. */
enum ch_code store_report_set_hash(struct store *st, int64_t source_id, const char *content_sha256,
				   int64_t *id, bool *existed, struct ch_error *err);

/* One sighting of an indicator in a report. The strings are borrowed from
 * the caller for the duration of the call. */
struct store_sighting {
	enum ioc_type type;
	const char *value;       /* canonical form */
	size_t value_len;
	const char *registrable; /* NULL when none */
	uint32_t warnings;       /* enum ioc_warning bits */
	const char *warnlist;    /* first matching warning list, or NULL */
	enum tlp_level tlp;
	int confidence; /* 0..100 */
	int64_t seen;
	uint64_t hash;  /* store_linked_ids_hash of type and value, or 0 when not computed */
	bool sorted;    /* store_sightings_sort ran on the batch and set repeat */
	bool repeat;    /* the same value as the one before it in the sorted batch */
};

/*
 * Records a batch of sightings for one report inside the current
 * transaction: inserts new indicators, updates last_seen, times_seen, the
 * least restrictive TLP and the highest confidence of known ones, and links
 * each to the report. new_count receives how many indicators were new.
 * The batch is written in (type, value) order for index locality; the
 * array itself is not reordered.
 */
/* Sorts a batch into the order store_sightings_add writes in. It touches
 * no database, so a caller can sort on another thread; a batch that
 * arrives sorted skips that step inside store_sightings_add. */
void store_sightings_sort(struct store_sighting *batch, size_t count);

/* A bulk load: between store_bulk_begin and store_bulk_end, WAL
 * checkpoints run on a thread of their own instead of on the thread that
 * commits, and store_bulk_committed announces each commit to that thread.
 * store_close ends a bulk load left open. input_bytes, the size of what
 * the load reads (0 when unknown), sizes the disk space reserved for the
 * WAL. */
enum ch_code store_bulk_begin(struct store *st, uint64_t input_bytes, struct ch_error *err);
void store_bulk_committed(struct store *st);
void store_bulk_end(struct store *st);
/* How often a waiting thread calls store_bulk_flush, in nanoseconds. */
#define STORE_BULK_FLUSH_INTERVAL_NS 10000000

/* Starts writing the WAL's changed pages to disk without waiting for it,
 * so that the fsyncs of the checkpoints that follow have less to wait
 * for. Safe to call from any thread during a
 * bulk load, and meant for a thread that would otherwise wait. */
void store_bulk_flush(struct store *st);

/* Ids of the indicators that earlier batches of one ingest recorded and
 * linked to its report, so that store_sightings_add can update a value that
 * repeats in a later batch by its id and skip its link. It is bound to the
 * report of the last store_sightings_add call that used it. */
struct store_linked_ids;

/* expected is a guess at the number of distinct values to come; the table
 * grows past it when needed. */
struct store_linked_ids *store_linked_ids_new(size_t expected);
/* NULL is a no-op. */
void store_linked_ids_free(struct store_linked_ids *ids);
/* Returns the table's hash of a value, never 0. A caller may fill
 * store_sighting.hash with it ahead of store_sightings_add. */
uint64_t store_linked_ids_hash(enum ioc_type type, const char *value, size_t len);

/* linked may be NULL: every value then takes the full path, which is right
 * for callers that write one batch per report. */
enum ch_code store_sightings_add(struct store *st, int64_t report_id,
				 struct store_sighting *batch, size_t count,
				 struct store_linked_ids *linked, size_t *new_count,
				 struct ch_error *err);

struct store_indicator {
	int64_t id;
	enum ioc_type type;
	char *value;
	char *registrable; /* NULL when none */
	int64_t first_seen;
	int64_t last_seen;
	int64_t times_seen;
	enum tlp_level tlp;
	int confidence;
	uint32_t warnings;
	char *warnlist; /* NULL when none */
	char **sources; /* source names, NULL-terminated */
	size_t report_count;
};

void store_indicator_free(struct store_indicator *ind);

/* Looks an indicator up by its canonical (type, value). CH_NOT_FOUND when
 * absent. */
enum ch_code store_indicator_get(struct store *st, enum ioc_type type, const char *value,
				 struct store_indicator *out, struct ch_error *err);

struct store_count {
	char *key;
	int64_t count;
};

struct store_count_list {
	struct store_count *items;
	size_t count;
};

void store_count_list_free(struct store_count_list *list);

struct store_totals {
	int64_t indicators;
	int64_t reports;
	int64_t sources;
	int64_t links;
	int64_t warned;
	int64_t by_type[IOC_TYPE_COUNT];
};

enum ch_code store_totals(struct store *st, struct store_totals *out, struct ch_error *err);

/* Aggregates for the digest over indicators first seen at or after since. */
enum ch_code store_new_by_type(struct store *st, int64_t since, struct store_count_list *out,
			       struct ch_error *err);
enum ch_code store_new_by_source(struct store *st, int64_t since, struct store_count_list *out,
				 struct ch_error *err);
enum ch_code store_top_registrable(struct store *st, int64_t since, size_t limit,
				   struct store_count_list *out, struct ch_error *err);
/* Counts of new indicators per warning (keys are warning names, and
 * "warninglist:NAME" for each list). */
enum ch_code store_new_warnings(struct store *st, int64_t since, struct store_count_list *out,
				struct ch_error *err);
/* Number of indicators first seen at or after since. */
enum ch_code store_new_total(struct store *st, int64_t since, int64_t *out, struct ch_error *err);

/* ---- Accounts and tokens ------------------------------------------------ */

#define STORE_TOKEN_HASH_BYTES 32

/* Adds an organisation; CH_CONFLICT when the name exists (case-insensitive). */
enum ch_code store_org_add(struct store *st, const char *name, int64_t *id,
			   struct ch_error *err);
enum ch_code store_org_find(struct store *st, const char *name, int64_t *id,
			    struct ch_error *err);

struct store_user {
	int64_t id;
	char *name;
	char *org;
	int64_t org_id;
	enum role role;
	int64_t created;
	size_t active_tokens;
};

struct store_user_list {
	struct store_user *items;
	size_t count;
};

void store_user_free(struct store_user *user);
void store_user_list_free(struct store_user_list *list);

enum ch_code store_user_add(struct store *st, const char *name, int64_t org_id, enum role role,
			    int64_t *id, struct ch_error *err);
enum ch_code store_user_find(struct store *st, const char *name, struct store_user *out,
			     struct ch_error *err);
enum ch_code store_user_find_id(struct store *st, int64_t id, struct store_user *out,
				struct ch_error *err);
enum ch_code store_user_list(struct store *st, struct store_user_list *out,
			     struct ch_error *err);
enum ch_code store_user_count(struct store *st, int64_t *count, struct ch_error *err);

/* Stores the SHA-256 of a new token's secret; expires is 0 for never. */
enum ch_code store_token_add(struct store *st, int64_t user_id,
			     const unsigned char hash[STORE_TOKEN_HASH_BYTES], int64_t created,
			     int64_t expires, int64_t *id, struct ch_error *err);
/* Marks a token revoked; CH_NOT_FOUND for an unknown id. */
enum ch_code store_token_revoke(struct store *st, int64_t token_id, int64_t now,
				struct ch_error *err);
/* Finds the principal for a token hash. Returns CH_UNAUTHORIZED when the
 * token is unknown, revoked or expired, and the message names the reason.
 * Successful lookups are cached in the handle and reused only while the
 * database has not changed, so a revocation or a changed user, from this
 * process or another, applies from the next call that starts after its
 * commit. Starts the read transaction when none is open. */
enum ch_code store_token_authenticate(struct store *st,
				      const unsigned char hash[STORE_TOKEN_HASH_BYTES],
				      int64_t now, struct principal *out, struct ch_error *err);

/* Links a chat identity (platform "slack" or "mattermost", workspace id,
 * chat user id) to a user; CH_CONFLICT when it is linked to someone. */
enum ch_code store_chat_identity_link(struct store *st, int64_t user_id, const char *platform,
				      const char *workspace, const char *chat_user,
				      struct ch_error *err);

/* ---- Reports submitted through the API -------------------------------------- */

struct store_report_write {
	const char *kind;
	enum tlp_level tlp;
	const char *title;
	const char *fields_json;  /* kind-specific fields, a JSON object */
	int64_t submitter_id;
	int64_t org_id;
	bool anonymous;
	int64_t created;
	int confidence;
	const struct ioc_match_list *indicators; /* top-level matches are linked */
	char *const *techniques;
	size_t technique_count;
	const int64_t *reader_org_ids;  /* AMBER+STRICT readers, submitter's org included */
	size_t reader_org_count;
	const int64_t *reader_user_ids; /* RED readers, submitter included */
	size_t reader_user_count;
};

/* Creates the report, its indicators and links inside the caller's
 * transaction. The source is the submitting organisation's name. */
enum ch_code store_report_create(struct store *st, const struct store_report_write *in,
				 int64_t *id, struct ch_error *err);

struct store_indicator_ref {
	int64_t id;
	enum ioc_type type;
	char *value;
	/* Most restrictive TLP among the reports that showed it to the reader;
	 * set by store_indicator_search only. */
	enum tlp_level max_tlp_read;
};

struct store_report {
	int64_t id;
	char *kind;
	enum tlp_level tlp;
	char *title;
	char *fields_json;  /* NULL for file ingests */
	char *source;
	char *submitter;    /* NULL when anonymous or ingested from a file */
	char *org;          /* NULL for file ingests */
	bool anonymous;
	int64_t created;
	struct store_indicator_ref *indicators;
	size_t indicator_count;
	size_t indicator_total; /* may exceed indicator_count when capped */
	char **techniques;
	size_t technique_count;
};

struct store_report_list {
	struct store_report *items;
	size_t count;
	int64_t next_before; /* cursor for the next page, 0 when none */
};

void store_report_free(struct store_report *r);
void store_report_list_free(struct store_report_list *list);

/* Reads one report if reader may; CH_NOT_FOUND otherwise (a report the
 * reader may not see does not exist for them). At most max_indicators
 * indicators are listed. */
enum ch_code store_report_get(struct store *st, int64_t id, const struct principal *reader,
			      size_t max_indicators, struct store_report *out,
			      struct ch_error *err);

struct store_report_filter {
	const char *kind;      /* NULL for any */
	int64_t since;         /* created at or after; 0 for any */
	int tlp;               /* exact TLP level, or -1 for any */
	const char *text;      /* substring of the title, or NULL */
	int64_t before;        /* only ids below this (cursor); 0 for none */
	size_t limit;
};

/* Lists readable reports, newest first, without their indicators. */
enum ch_code store_report_list(struct store *st, const struct principal *reader,
			       const struct store_report_filter *filter,
			       struct store_report_list *out, struct ch_error *err);

/* One indicator as a reader sees it: dates and sources only from the
 * reports they may read. CH_NOT_FOUND when they may read none. */
struct store_indicator_view {
	struct store_indicator indicator;
	struct store_report_list reports; /* readable reports, newest first, capped */
	size_t report_total;
	enum tlp_level max_tlp_read;  /* most restrictive TLP among those reports */
};

void store_indicator_view_free(struct store_indicator_view *view);
enum ch_code store_indicator_view_get(struct store *st, enum ioc_type type, const char *value,
				      const struct principal *reader, size_t max_reports,
				      struct store_indicator_view *out, struct ch_error *err);

/* Indicators whose value contains text, visible to reader, capped. */
enum ch_code store_indicator_search(struct store *st, const char *text,
				    const struct principal *reader, size_t limit,
				    struct store_indicator_ref **out, size_t *count,
				    struct ch_error *err);

/* ---- ATT&CK catalogue ------------------------------------------------------ */

enum ch_code store_attack_technique_put(struct store *st, const char *id, const char *name,
					const char *tactics, const char *domain, bool revoked,
					struct ch_error *err);
/* *found is false for an unknown id. */
enum ch_code store_attack_technique_get(struct store *st, const char *id, bool *found,
					bool *revoked, struct ch_error *err);
enum ch_code store_attack_technique_count(struct store *st, int64_t *count,
					  struct ch_error *err);

/* ---- Audit log -------------------------------------------------------------- */

struct store_audit_entry {
	int64_t id;
	int64_t time;
	int64_t actor_id;     /* 0 when not authenticated */
	const char *actor;    /* user name, or "anonymous" */
	const char *action;   /* "report.create", "report.read", "token.reject", ... */
	const char *object;   /* "report:12", "token:3", ... */
	const char *client;   /* address, or "cli" */
	const char *outcome;  /* "ok", "denied", "rejected" */
	const char *detail;   /* short free text; never a secret */
};

/* Appends an entry, chained to the previous one by SHA-256. Runs in the
 * caller's transaction when one is open. */
enum ch_code store_audit_append(struct store *st, const struct store_audit_entry *entry,
				struct ch_error *err);
/* Appends count entries, in order, in one write transaction of their own,
 * so that they cost one commit. Ends the caller's read transaction first.
 * On failure none of them is written. */
enum ch_code store_audit_append_batch(struct store *st, const struct store_audit_entry *entries,
				      size_t count, struct ch_error *err);

struct store_audit_row {
	int64_t id;
	int64_t time;
	char *actor;
	char *action;
	char *object;
	char *client;
	char *outcome;
	char *detail;
	char *sha256;
};

struct store_audit_list {
	struct store_audit_row *items;
	size_t count;
};

void store_audit_list_free(struct store_audit_list *list);
/* Lists up to limit entries from time since on whose id is above
 * after_id, oldest first, so that the id of a page's last entry is the
 * cursor of the next page. */
enum ch_code store_audit_list(struct store *st, int64_t since, int64_t after_id, size_t limit,
			      struct store_audit_list *out, struct ch_error *err);
/* Recomputes the hash chain; *bad_id is the first entry that does not
 * match, or 0 when the whole log is intact. */
enum ch_code store_audit_verify(struct store *st, int64_t *bad_id, struct ch_error *err);

/* ---- LE referral queue ---------------------------------------------------------- */

/* A referral (escalation ticket) as stored. Strings are owned; NULL when
 * the field was not given. ref is the human-friendly id "LE-2026-0001". */
struct store_referral {
	int64_t id;
	char ref[32];
	int64_t reporter_id;
	char *reporter;         /* user name */
	char *reporter_handle;  /* chat handle when sent from chat, or NULL */
	int64_t org_id;
	char *org;
	enum tlp_level tlp;
	char *summary;
	char *details;
	char *incident_type;
	char *objective;
	char *illegal_reason;
	char *victim_location;
	char *suspect_location;
	char *suspect_info;
	bool documentation_available;
	char *documentation;
	bool contact_allowed;
	char *contact_method;
	char *state;            /* new, acknowledged, in_progress, closed */
	char *resolution;       /* set when closed */
	int64_t assignee_id;    /* 0 when none */
	char *assignee;         /* officer's user name, or NULL */
	char *assignee_agency;
	int64_t created;
	int64_t updated;
	int64_t acknowledged;   /* 0 until an officer took it */
	int64_t closed;         /* 0 unless closed */
	bool unseen;            /* lists: created after the reader last looked */
	int64_t *report_ids;
	size_t report_count;
	struct store_indicator_ref *indicators;
	size_t indicator_count;
};

struct store_referral_reply {
	int64_t id;
	char *author;
	char *body;
	bool internal;
	int64_t created;
};

struct store_referral_attachment {
	int64_t id;
	char *name;
	char *content_type;
	int64_t size;
	char sha256[65];
	char *uploader;
	int64_t created;
};

struct store_referral_event {
	int64_t id;
	int64_t time;
	char *actor;
	char *action;     /* "create", "assign", "state", "close", "reopen", ... */
	char *from_state;
	char *to_state;
	char *detail;
};

/* A referral with its thread, as one reader may see it. */
struct store_referral_view {
	struct store_referral referral;
	struct store_referral_reply *replies;
	size_t reply_count;
	struct store_referral_attachment *attachments;
	size_t attachment_count;
	struct store_referral_event *events;
	size_t event_count;
};

struct store_referral_list {
	struct store_referral *items;
	size_t count;
	int64_t total;          /* rows matching the filter, before limit and offset */
	int64_t unseen;         /* of those, created after the reader last looked */
};

void store_referral_free(struct store_referral *r);
void store_referral_view_free(struct store_referral_view *v);
void store_referral_list_free(struct store_referral_list *list);

/* The fields of a new referral; strings borrowed for the call. */
struct store_referral_new {
	int64_t reporter_id;
	const char *reporter_handle;
	int64_t org_id;
	enum tlp_level tlp;
	const char *summary;
	const char *details;
	const char *incident_type;
	const char *objective;
	const char *illegal_reason;
	const char *victim_location;
	const char *suspect_location;
	const char *suspect_info;
	bool documentation_available;
	const char *documentation;
	bool contact_allowed;
	const char *contact_method;
	int64_t created;
	const int64_t *report_ids;
	size_t report_count;
	const struct ioc_match_list *indicators; /* top-level matches are linked */
};

/* Creates a referral with its number for the year of created, its links
 * and a "create" event, inside the caller's transaction. */
enum ch_code store_referral_create(struct store *st, const struct store_referral_new *in,
				   int64_t *id, char ref[32], struct ch_error *err);

/* Finds a referral by "LE-2026-0001" (any case) or by its numeric id;
 * CH_NOT_FOUND when absent. */
enum ch_code store_referral_find(struct store *st, const char *key, int64_t *id,
				 struct ch_error *err);

/* Reads one referral with links; with_thread also reads replies (internal
 * ones only when include_internal), attachments and events. */
enum ch_code store_referral_get(struct store *st, int64_t id, bool with_thread,
				bool include_internal, struct store_referral_view *out,
				struct ch_error *err);

enum store_referral_sort {
	REFERRAL_SORT_NEWEST = 0,
	REFERRAL_SORT_OLDEST,
	REFERRAL_SORT_UPDATED,       /* most recently changed first */
	REFERRAL_SORT_UNACKNOWLEDGED /* longest waiting unacknowledged first */
};

struct store_referral_filter {
	int64_t reporter_id;        /* only this reporter's; 0 for all */
	const char *state;          /* a state, "open" (not closed), or NULL for any */
	const char *incident_type;  /* NULL for any */
	const char *location;       /* substring of victim or suspect location */
	int64_t created_before;     /* 0 for none (age at least) */
	int64_t created_after;      /* 0 for none (age at most) */
	int64_t viewer_id;          /* marks unseen relative to this user's last look */
	bool only_unseen;
	enum store_referral_sort sort;
	size_t limit;
	size_t offset;
};

enum ch_code store_referral_list(struct store *st, const struct store_referral_filter *filter,
				 struct store_referral_list *out, struct ch_error *err);

/* Records that user looked at the queue up to the newest referral id. */
enum ch_code store_referral_mark_seen(struct store *st, int64_t user_id, int64_t now,
				      struct ch_error *err);

/* A change by an officer, inside the caller's transaction. Each one moves
 * updated and appends an event. */
enum ch_code store_referral_set_state(struct store *st, int64_t id, int64_t actor_id,
				      const char *state, const char *resolution,
				      const char *action, const char *detail, int64_t now,
				      struct ch_error *err);
/* Sets the officer (0 for none) and agency (NULL for none); taking a new
 * referral acknowledges it. detail goes to the event, such as "to alice". */
enum ch_code store_referral_assign(struct store *st, int64_t id, int64_t actor_id,
				   int64_t assignee_id, const char *agency, const char *detail,
				   int64_t now, struct ch_error *err);
enum ch_code store_referral_reply_add(struct store *st, int64_t id, int64_t author_id,
				      const char *body, bool internal, int64_t now,
				      int64_t *reply_id, struct ch_error *err);
enum ch_code store_referral_attachment_add(struct store *st, int64_t id, int64_t uploader_id,
					   const char *name, const char *content_type,
					   const void *data, size_t size, const char sha256[65],
					   int64_t now, int64_t *attachment_id,
					   struct ch_error *err);
/* Reads an attachment's bytes; *data is owned by the caller. */
enum ch_code store_referral_attachment_get(struct store *st, int64_t referral_id,
					   int64_t attachment_id,
					   struct store_referral_attachment *meta, void **data,
					   struct ch_error *err);
void store_referral_attachment_free(struct store_referral_attachment *a);

/* ---- Notification outbox ---------------------------------------------------------- */

struct store_outbox_new {
	const char *sink;            /* configured sink name */
	const char *event;           /* "referral.created", ... */
	const char *object;          /* "LE-2026-0001" */
	const char *idempotency_key; /* unique per message */
	const char *payload;         /* rendered for the sink */
	const char *sink_type;       /* the sink's type when the payload was rendered */
	enum tlp_level tlp;          /* the referral's TLP when the payload was rendered */
	bool details;                /* the payload carries the referral's details */
	int64_t created;
};

/* Queues a message inside the caller's transaction. */
enum ch_code store_outbox_add(struct store *st, const struct store_outbox_new *in,
			      int64_t *id, struct ch_error *err);

struct store_outbox_row {
	int64_t id;
	char *sink;
	char *event;
	char *object;
	char *idempotency_key;
	char *payload;
	char *state;       /* pending, delivered, dead */
	int attempts;
	int64_t next_attempt;
	char *last_error;
	int64_t created;
	int64_t delivered;
	/* What the payload was rendered from, which delivery checks against
	 * the sink's current settings. A row queued before schema version 8
	 * reads as details at RED with sink_type NULL, the most restrictive
	 * reading. */
	char *sink_type;
	enum tlp_level tlp;
	bool details;
};

struct store_outbox_list {
	struct store_outbox_row *items;
	size_t count;
};

void store_outbox_list_free(struct store_outbox_list *list);
/* Pending messages due at now, oldest first. */
enum ch_code store_outbox_due(struct store *st, int64_t now, size_t limit,
			      struct store_outbox_list *out, struct ch_error *err);
/* Messages in a state ("pending", "delivered", "dead"), or all when NULL,
 * newest first. */
enum ch_code store_outbox_list(struct store *st, const char *state, size_t limit,
			       struct store_outbox_list *out, struct ch_error *err);
enum ch_code store_outbox_delivered(struct store *st, int64_t id, int64_t now,
				    struct ch_error *err);
/* Records a failed attempt: the message waits until next_attempt, or goes
 * to the dead-letter list when dead is set. */
enum ch_code store_outbox_failed(struct store *st, int64_t id, int attempts,
				 int64_t next_attempt, bool dead, const char *error,
				 struct ch_error *err);
/* Puts a dead message back in the queue with its attempts reset;
 * CH_NOT_FOUND when no dead message has that id. */
enum ch_code store_outbox_retry(struct store *st, int64_t id, int64_t now,
				struct ch_error *err);

/* ---- Chat identities and link codes ------------------------------------------- */

/* The principal of the user linked to this chat account; CH_NOT_FOUND
 * when none is. */
enum ch_code store_chat_identity_find(struct store *st, const char *platform,
				      const char *workspace, const char *chat_user,
				      struct principal *out, struct ch_error *err);
/* Removes a chat account's link, if any, inside the caller's transaction. */
enum ch_code store_chat_identity_unlink(struct store *st, const char *platform,
					const char *workspace, const char *chat_user,
					struct ch_error *err);
/* Deletes the recorded ids of one platform received before a time, for
 * records that only matter for a while, such as request signatures. */
enum ch_code store_chat_events_prune(struct store *st, const char *platform, int64_t before,
				     struct ch_error *err);
/* Stores the SHA-256 of a new one-time link code for user. */
enum ch_code store_chat_link_code_add(struct store *st, int64_t user_id,
				      const unsigned char hash[32], int64_t now, int64_t expires,
				      struct ch_error *err);
/* Marks an unused, unexpired code used and gives its user;
 * CH_NOT_FOUND otherwise. Runs in the caller's transaction. */
enum ch_code store_chat_link_code_use(struct store *st, const unsigned char hash[32],
				      int64_t now, int64_t *user_id, struct ch_error *err);

/* ---- Chat messages (channel ingestion) ------------------------------------------- */

/* A channel message stored as a report of kind "chat". Strings are
 * borrowed for the call. The chat_messages row keyed by (platform,
 * workspace, channel, ts) maps the message to its report. */
struct store_chat_message {
	const char *platform;    /* "slack" or "mattermost" */
	const char *workspace;   /* team id */
	const char *channel;     /* channel id */
	const char *ts;          /* the message's id in its channel */
	const char *thread_ts;   /* ts of the thread's first message, or NULL */
	const char *source;      /* source name, such as "slack:acme/C0123ABC" */
	enum tlp_level tlp;
	const char *title;
	const char *fields_json; /* a JSON object */
	int64_t submitter_id;    /* 0 when the chat user is not linked to a user */
	int64_t org_id;          /* 0 when the message has no organisation */
	int64_t created;
	const struct ioc_match_list *indicators; /* top-level matches are linked */
};

/* Records a delivered event id, or another single-use id such as a
 * Mattermost dialog's nonce, inside the caller's transaction or on its
 * own when none is open. *fresh is false when the id was recorded before,
 * so the event is a repeat. */
enum ch_code store_chat_event_claim(struct store *st, const char *platform,
				    const char *workspace, const char *event_id, int64_t now,
				    bool *fresh, struct ch_error *err);
/* Sets *seen to whether the event id was recorded. */
enum ch_code store_chat_event_seen(struct store *st, const char *platform,
				   const char *workspace, const char *event_id, bool *seen,
				   struct ch_error *err);

/* Finds the report of a message and whether it is withdrawn; CH_NOT_FOUND
 * when the message has no report. */
enum ch_code store_chat_message_find(struct store *st, const char *platform,
				     const char *workspace, const char *channel, const char *ts,
				     int64_t *report_id, bool *withdrawn, struct ch_error *err);

/* Creates the report of a new message inside the caller's transaction:
 * the report with a NULL submitter when submitter_id is 0, its readers
 * (the organisation for AMBER+STRICT, the submitter for RED), its
 * indicators, and the chat_messages row, whose parent_report_id is the
 * report of the thread's first message when that one has a report. */
enum ch_code store_chat_message_create(struct store *st, const struct store_chat_message *in,
				       int64_t *report_id, struct ch_error *err);

/* Replaces the title, fields and indicator links of an edited message's
 * report and clears its withdrawn time, inside the caller's transaction.
 * Only indicators that the report did not link before count as new
 * sightings. The TLP, readers and creation time stay as they were. */
enum ch_code store_chat_message_update(struct store *st, int64_t report_id,
				       const struct store_chat_message *in, struct ch_error *err);

/* Sets the report's withdrawn time, which hides it from every reader. */
enum ch_code store_chat_report_withdraw(struct store *st, int64_t report_id, int64_t when,
					struct ch_error *err);

/* ---- Scoring facts ---------------------------------------------------------------- */

struct score_facts; /* see score/score.h */

/* Reads what scoring needs about one indicator: dates, sightings, the
 * highest confidence, warnings, the organisations (or, for file ingests,
 * sources) of its reports that are not withdrawn, and its links to
 * ATT&CK reports and LE referrals. CH_NOT_FOUND when absent. */
enum ch_code store_score_facts_get(struct store *st, enum ioc_type type, const char *value,
				   struct score_facts *out, struct ch_error *err);

struct store_score_filter {
	int64_t since;          /* last or first seen at or after; 0 for any */
	int type;               /* an enum ioc_type, or -1 for any */
	enum tlp_level tlp_max; /* indicators whose least restrictive TLP is at most this */
};

/* Called once per indicator of a scan. value and facts are valid for the
 * call only. A code other than CH_OK stops the scan, which returns it. */
typedef enum ch_code (*store_score_facts_cb)(void *ctx, enum ioc_type type, const char *value,
					     enum tlp_level tlp, const struct score_facts *facts);

/* Calls cb for every indicator that passes the filter, in id order, with
 * one query over the whole table, so it suits millions of indicators. */
enum ch_code store_score_facts_scan(struct store *st, const struct store_score_filter *filter,
				    store_score_facts_cb cb, void *ctx, struct ch_error *err);

/* ---- Audience digests ---------------------------------------------------------- */

/*
 * The reports a digest may draw on: those the audience may read, at most
 * tlp_max, created before until. Every audience reads CLEAR, GREEN and
 * AMBER reports; org_id adds the AMBER+STRICT reports that name that
 * organisation. RED reports and withdrawn reports are never in scope.
 */
struct store_digest_scope {
	int64_t org_id;         /* 0 for none */
	enum tlp_level tlp_max; /* AMBER+STRICT at most; RED is read as AMBER+STRICT */
	bool referrals;         /* the audience reads the LE referral queue */
	int64_t since;          /* period start, inclusive */
	int64_t until;          /* period end, exclusive */
};

/* Digest categories of a report: its kind, or for a chat report the
 * category of its channel. File ingests, ioc, feed and attack reports are
 * IoCs. */
enum store_digest_category {
	STORE_DIGEST_IOCS = 0,
	STORE_DIGEST_DISINFO,
	STORE_DIGEST_DARKNET,
	STORE_DIGEST_HUNTING,
	STORE_DIGEST_VULN,
	STORE_DIGEST_CATEGORY_COUNT
};

/* One indicator that a report in scope carried in the period. Every date
 * and count comes from reports in scope only, except two. confidence is
 * the indicator's own. times_seen is the indicator's own when every report
 * that carries it is in scope, and otherwise the number of reports in
 * scope, as an indicator lookup shows it. */
struct store_digest_indicator {
	int64_t id;
	enum ioc_type type;
	const char *value;        /* borrowed for the callback */
	uint32_t warnings;        /* enum ioc_warning bits */
	bool warnlisted;
	int64_t times_seen;
	int confidence;
	int64_t first_seen;       /* earliest report in scope */
	int64_t first_in_period;  /* earliest report in scope in the period */
	int64_t last_seen;        /* latest report in scope */
	bool has_previous;        /* a report in scope carried it before since */
	int64_t previous;         /* the latest such report, when has_previous */
	int organisations;        /* distinct organisations (sources for file ingests) */
	int organisations_before; /* the same, counting only reports before since */
	unsigned categories;      /* 1 << enum store_digest_category, period reports */
	int referrals;            /* referrals naming it; 0 unless scope->referrals */
	int attack_reports;       /* reports of kind attack that carry it */
};

typedef enum ch_code (*store_digest_indicator_cb)(void *ctx,
						  const struct store_digest_indicator *ind,
						  struct ch_error *err);

/* Calls cb for each indicator carried in the period by a report in scope,
 * in one grouped pass. A code other than CH_OK from cb stops the pass and
 * is returned. */
enum ch_code store_digest_indicators(struct store *st, const struct store_digest_scope *scope,
				     store_digest_indicator_cb cb, void *ctx,
				     struct ch_error *err);

/* Reports in scope created in the period. */
enum ch_code store_digest_report_count(struct store *st, const struct store_digest_scope *scope,
				       int64_t *count, struct ch_error *err);

/* Calls cb for each report in scope that names ATT&CK tactics, created in
 * the period or in the period of the same length before it. tactics is a
 * comma-separated list of tactic ids (an attack report's tactic) and
 * catalogue shortnames (the tactics of its linked techniques), and may
 * repeat a tactic. */
typedef enum ch_code (*store_digest_tactics_cb)(void *ctx, bool current, const char *tactics,
						struct ch_error *err);
enum ch_code store_digest_tactics(struct store *st, const struct store_digest_scope *scope,
				  store_digest_tactics_cb cb, void *ctx, struct ch_error *err);

/* Vulnerability reports in scope in the period, grouped by country and
 * sector. */
struct store_digest_vuln_group {
	char *country;
	char *sector;           /* "" when the reports gave none */
	int64_t organisations;  /* distinct organisation names, case-insensitive */
	int64_t reports;
	char *cves;             /* distinct CVE ids, comma-separated, sorted */
};

struct store_digest_vuln_list {
	struct store_digest_vuln_group *items;
	size_t count;
};

void store_digest_vuln_list_free(struct store_digest_vuln_list *list);
/* Groups with the most organisations first. */
enum ch_code store_digest_vulnerable(struct store *st, const struct store_digest_scope *scope,
				     struct store_digest_vuln_list *out, struct ch_error *err);

/* Hunting rules in scope in the period: reports of kind hunting and chat
 * messages from hunting channels. */
struct store_digest_rule {
	int64_t report_id;
	char *title;
	char *rule_type;        /* "yara", "sigma", or NULL for a chat message */
	int64_t created;
};

struct store_digest_rule_list {
	struct store_digest_rule *items;
	size_t count;
	int64_t total;          /* before the limit */
};

void store_digest_rule_list_free(struct store_digest_rule_list *list);
/* The newest limit rules and the total. */
enum ch_code store_digest_rules(struct store *st, const struct store_digest_scope *scope,
				size_t limit, struct store_digest_rule_list *out,
				struct ch_error *err);

/* One change to a referral in the period, with the referral's fields. */
struct store_digest_referral_event {
	int64_t referral_id;
	char ref[32];           /* "LE-2026-0007" */
	enum tlp_level tlp;
	char *summary;
	char *incident_type;
	char *org;              /* the reporter's organisation */
	char *state;            /* the referral's state now */
	int64_t created;
	int64_t time;           /* of the change */
	char *action;           /* "create", "assign", "state", "close", "reopen", ... */
	char *from_state;       /* NULL when the state did not change */
	char *to_state;
};

struct store_digest_referral_list {
	struct store_digest_referral_event *items;
	size_t count;
};

void store_digest_referral_list_free(struct store_digest_referral_list *list);
/* The creations and state changes of referrals in the period, by
 * referral and then time, at any TLP: callers apply their own ceiling.
 * Replies, attachments and assignments that keep the state are left out. */
enum ch_code store_digest_referrals(struct store *st, int64_t since, int64_t until,
				    struct store_digest_referral_list *out, struct ch_error *err);

/* The end of the last recorded digest called name for audience, or 0. */
enum ch_code store_digest_last_run(struct store *st, const char *name, const char *audience,
				   int64_t *period_end, struct ch_error *err);
/* Records a digest run; *fresh is false when (name, audience, period_end)
 * was recorded before. */
enum ch_code store_digest_record_run(struct store *st, const char *name, const char *audience,
				     int64_t period_start, int64_t period_end, int64_t now,
				     bool *fresh, struct ch_error *err);

/* Referrals per state and outbox messages per state, for /metrics. */
enum ch_code store_queue_counts(struct store *st, struct store_count_list *referrals,
				struct store_count_list *outbox, struct ch_error *err);

/* Counts for /metrics. */
enum ch_code store_count_rows(struct store *st, int64_t *indicators, int64_t *reports,
			      struct ch_error *err);

#endif
