/*
 * MITRE ATT&CK: the 14 Enterprise tactics (built in, so attack reports work
 * before any import) and the reader for STIX bundles that carry the full
 * catalogue of techniques and sub-techniques.
 */
#ifndef CTIHUB_MODEL_ATTACK_H
#define CTIHUB_MODEL_ATTACK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct attack_tactic {
	const char *id;         /* "TA0001" */
	const char *name;       /* "Initial Access" */
	const char *shortname;  /* "initial-access", the STIX kill-chain phase name */
};

/* The 14 Enterprise tactics in matrix order. */
extern const struct attack_tactic attack_tactics[];
extern const size_t attack_tactic_count;

/* Finds a tactic by id ("TA0001", case-insensitive), name ("Initial
 * Access", case-insensitive) or shortname ("initial-access"). */
const struct attack_tactic *attack_tactic_find(const char *text);

/* True when text is a technique id: T followed by four digits, optionally
 * a dot and three digits (T1566, T1566.001), case-insensitive. Writes the
 * upper-case form into out (at least 10 bytes). */
bool attack_technique_id_canonical(const char *text, char *out, size_t cap);

struct attack_technique {
	char id[16];            /* "T1566.001" */
	char name[256];
	char tactics[512];      /* comma-separated shortnames from kill_chain_phases */
	char domain[32];        /* "enterprise-attack", "mobile-attack", "ics-attack" */
	bool revoked;           /* revoked or x_mitre_deprecated */
};

/* Receives each technique found; return a non-zero code to stop. */
typedef enum ch_code (*attack_technique_cb)(void *ctx, const struct attack_technique *t,
					    struct ch_error *err);

/*
 * Reads one STIX 2.0 or 2.1 bundle (a whole ATT&CK release, or a
 * one-object bundle as in the mitre/cti repository) and calls cb for
 * every attack-pattern with an ATT&CK external id. That is the source
 * name mitre-attack, or mitre-mobile-attack and mitre-ics-attack in older
 * revoked objects. Files over ATTACK_FILE_MAX bytes are rejected.
 * *count receives the number found, and is set only on success.
 */
#define ATTACK_FILE_MAX ((size_t)256 * 1024 * 1024)
enum ch_code attack_import_file(const char *path, attack_technique_cb cb, void *ctx,
				size_t *count, struct ch_error *err);

#endif
