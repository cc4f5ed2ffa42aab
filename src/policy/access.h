/*
 * Roles, the principal behind a request, and the TLP read rule. TLP marks
 * how far a reader may pass a report on; on the hub it decides who may
 * read it at all:
 *
 *   CLEAR         anyone with a token, and anonymous readers when the
 *                 operator enables public read
 *   GREEN, AMBER  every community member (every account)
 *   AMBER+STRICT  members of the organisations named on the report
 *   RED           the users named on the report
 *
 * No role bypasses the rule: an admin reads AMBER+STRICT and RED reports
 * only when named on them. The same rule is written as SQL in the store
 * (store_sqlite_reports.c) for lists; both are checked against one table of
 * cases in the tests.
 */
#ifndef CTIHUB_POLICY_ACCESS_H
#define CTIHUB_POLICY_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/tlp.h"
#include "util/error.h"

enum role {
	ROLE_MEMBER = 0,
	ROLE_LE,    /* law enforcement */
	ROLE_ADMIN,
	ROLE_COUNT
};

const char *role_name(enum role role);
enum ch_code role_parse(const char *text, enum role *role, struct ch_error *err);

#define PRINCIPAL_NAME_MAX 64

/* The caller of a request. A principal with authenticated == false is an
 * anonymous reader and has no user, organisation or role. */
struct principal {
	bool authenticated;
	bool public_read;       /* the operator lets anonymous readers see CLEAR */
	int64_t user_id;
	int64_t org_id;
	int64_t token_id;
	enum role role;
	char user_name[PRINCIPAL_NAME_MAX];
};

/* The read permissions of one report: its TLP and the readers named on it. */
struct report_readers {
	enum tlp_level tlp;
	const int64_t *org_ids;  /* named organisations, AMBER+STRICT */
	size_t org_count;
	const int64_t *user_ids; /* named users, RED */
	size_t user_count;
};

bool access_can_read(const struct principal *who, const struct report_readers *readers);

/* Reads of these levels are written to the audit log. */
bool access_read_is_audited(enum tlp_level tlp);

#endif
