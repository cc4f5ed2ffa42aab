/*
 * Roles and the TLP read rule; see access.h for the rule itself.
 */
#include "policy/access.h"

#include <strings.h>

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_MEMBER] = "member",
	[ROLE_LE] = "le",
	[ROLE_ADMIN] = "admin",
};

const char *role_name(enum role role)
{
	if ((unsigned)role >= ROLE_COUNT)
		return "unknown";
	return role_names[role];
}

enum ch_code role_parse(const char *text, enum role *role, struct ch_error *err)
{
	for (int i = 0; i < ROLE_COUNT; i++) {
		if (strcasecmp(text, role_names[i]) == 0) {
			*role = (enum role)i;
			return CH_OK;
		}
	}
	return ch_fail_field(err, CH_INVALID, "role", "invalid role '%s': use member, le or admin",
			     text);
}

static bool contains(const int64_t *ids, size_t count, int64_t id)
{
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

bool access_can_read(const struct principal *who, const struct report_readers *readers)
{
	switch (readers->tlp) {
	case TLP_CLEAR:
		return who->authenticated || who->public_read;
	case TLP_GREEN:
	case TLP_AMBER:
		return who->authenticated;
	case TLP_AMBER_STRICT:
		return who->authenticated &&
		       contains(readers->org_ids, readers->org_count, who->org_id);
	case TLP_RED:
		return who->authenticated &&
		       contains(readers->user_ids, readers->user_count, who->user_id);
	default:
		return false;
	}
}

bool access_read_is_audited(enum tlp_level tlp)
{
	return tlp == TLP_AMBER_STRICT || tlp == TLP_RED;
}
