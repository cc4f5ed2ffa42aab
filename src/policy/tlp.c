/*
 * TLP 2.0 level names and parsing.
 */
#include "policy/tlp.h"

#include <strings.h>

static const char *const level_names[TLP_LEVEL_COUNT] = {
	[TLP_CLEAR] = "CLEAR",
	[TLP_GREEN] = "GREEN",
	[TLP_AMBER] = "AMBER",
	[TLP_AMBER_STRICT] = "AMBER+STRICT",
	[TLP_RED] = "RED",
};

const char *tlp_name(enum tlp_level level)
{
	if ((unsigned)level >= TLP_LEVEL_COUNT)
		return "unknown";
	return level_names[level];
}

enum ch_code tlp_parse(const char *text, enum tlp_level *level, struct ch_error *err)
{
	const char *name = text;

	if (strncasecmp(name, "TLP:", 4) == 0)
		name += 4;

	for (int i = 0; i < TLP_LEVEL_COUNT; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*level = (enum tlp_level)i;
			return CH_OK;
		}
	}
	/* TLP 1.0 used WHITE for what TLP 2.0 calls CLEAR. */
	if (strcasecmp(name, "WHITE") == 0) {
		*level = TLP_CLEAR;
		return CH_OK;
	}
	return ch_fail(err, CH_INVALID,
		       "invalid TLP level '%s': use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", text);
}
