/*
 * TLP 2.0 levels. The enum order is the order of restriction: a larger value
 * may be passed on to fewer people. TLP 1.0 WHITE is accepted as CLEAR.
 */
#ifndef CTIHUB_POLICY_TLP_H
#define CTIHUB_POLICY_TLP_H

#include "util/error.h"

enum tlp_level {
	TLP_CLEAR = 0,
	TLP_GREEN,
	TLP_AMBER,
	TLP_AMBER_STRICT,
	TLP_RED,
	TLP_LEVEL_COUNT
};

/* "CLEAR", "GREEN", "AMBER", "AMBER+STRICT" or "RED". */
const char *tlp_name(enum tlp_level level);
/* Parses a level name, case-insensitive, with or without a "TLP:" prefix. */
enum ch_code tlp_parse(const char *text, enum tlp_level *level, struct ch_error *err);

#endif
