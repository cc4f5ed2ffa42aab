/*
 * MITRE ATT&CK tactics and the catalogue reader. The 14 Enterprise tactics
 * are built in because attack reports name a tactic and must work before
 * anyone imports a catalogue. Techniques come from STIX bundles, either a
 * whole release (attack-stix-data, STIX 2.1) or the one-object bundles of
 * the mitre/cti repository (STIX 2.0). The reader only parses: it hands
 * each technique to a callback, and the caller decides where to store it.
 */
#include "model/attack.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Matrix order of ATT&CK Enterprise v18, from the tactic_refs of its
 * x-mitre-matrix object. The ids, names and shortnames are those of the
 * x-mitre-tactic objects of the same release. */
const struct attack_tactic attack_tactics[] = {
	{ "TA0043", "Reconnaissance", "reconnaissance" },
	{ "TA0042", "Resource Development", "resource-development" },
	{ "TA0001", "Initial Access", "initial-access" },
	{ "TA0002", "Execution", "execution" },
	{ "TA0003", "Persistence", "persistence" },
	{ "TA0004", "Privilege Escalation", "privilege-escalation" },
	{ "TA0005", "Defense Evasion", "defense-evasion" },
	{ "TA0006", "Credential Access", "credential-access" },
	{ "TA0007", "Discovery", "discovery" },
	{ "TA0008", "Lateral Movement", "lateral-movement" },
	{ "TA0009", "Collection", "collection" },
	{ "TA0011", "Command and Control", "command-and-control" },
	{ "TA0010", "Exfiltration", "exfiltration" },
	{ "TA0040", "Impact", "impact" },
};

const size_t attack_tactic_count = sizeof(attack_tactics) / sizeof(attack_tactics[0]);

const struct attack_tactic *attack_tactic_find(const char *text)
{
	for (size_t i = 0; i < attack_tactic_count; i++) {
		const struct attack_tactic *t = &attack_tactics[i];

		if (strcasecmp(text, t->id) == 0 || strcasecmp(text, t->name) == 0 ||
		    strcasecmp(text, t->shortname) == 0)
			return t;
	}
	return NULL;
}

bool attack_technique_id_canonical(const char *text, char *out, size_t cap)
{
	size_t len = strlen(text);

	if (len != 5 && len != 9)
		return false;
	if (cap < len + 1)
		return false;
	if (text[0] != 'T' && text[0] != 't')
		return false;
	for (size_t i = 1; i < len; i++) {
		if (i == 5) {
			if (text[i] != '.')
				return false;
		} else if (!isdigit((unsigned char)text[i])) {
			return false;
		}
	}

	out[0] = 'T';
	memcpy(out + 1, text + 1, len - 1);
	out[len] = '\0';
	return true;
}

/* Appends src to the comma-separated list in dst. Returns false when it does not fit. */
static bool list_append(char *dst, size_t cap, const char *src)
{
	size_t used = strlen(dst);
	size_t need = strlen(src) + (used ? 1 : 0);

	if (used + need + 1 > cap)
		return false;
	if (used)
		dst[used++] = ',';
	memcpy(dst + used, src, strlen(src) + 1);
	return true;
}

/*
 * The ATT&CK external id of an attack-pattern, or NULL. Current objects
 * use the source name mitre-attack in every domain. Revoked and deprecated
 * Mobile and ICS objects kept the older names: 18 in Mobile 17.1 and 12 in
 * ICS 18.1. They are read too, so a report that names one is rejected as
 * revoked rather than unknown.
 */
static const char *mitre_external_id(const json_t *object)
{
	static const char *const sources[] = {
		"mitre-attack", "mitre-mobile-attack", "mitre-ics-attack",
	};
	const json_t *refs = json_object_get(object, "external_references");
	const json_t *ref;
	size_t i;

	json_array_foreach(refs, i, ref) {
		const char *source = json_string_value(json_object_get(ref, "source_name"));
		const char *id = json_string_value(json_object_get(ref, "external_id"));

		if (!source || !id)
			continue;
		for (size_t k = 0; k < sizeof(sources) / sizeof(sources[0]); k++) {
			if (strcmp(source, sources[k]) == 0)
				return id;
		}
	}
	return NULL;
}

/* The domain of an ATT&CK kill chain name. It is the fallback for an
 * object without x_mitre_domains. */
static const char *domain_from_kill_chain(const char *kill_chain)
{
	if (strcmp(kill_chain, "mitre-attack") == 0)
		return "enterprise-attack";
	if (strcmp(kill_chain, "mitre-mobile-attack") == 0)
		return "mobile-attack";
	if (strcmp(kill_chain, "mitre-ics-attack") == 0)
		return "ics-attack";
	return NULL;
}

static bool copy_field(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src);

	if (len >= cap)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/* Fills t from one attack-pattern object that has the mitre-attack id. */
static enum ch_code read_technique(const json_t *object, const char *path, const char *id,
				   struct attack_technique *t, struct ch_error *err)
{
	const char *name = json_string_value(json_object_get(object, "name"));
	const char *domain = json_string_value(json_array_get(
		json_object_get(object, "x_mitre_domains"), 0));
	const json_t *phase;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (!attack_technique_id_canonical(id, t->id, sizeof(t->id)))
		return ch_fail(err, CH_INVALID, "%s: attack-pattern with external id '%s', which "
						"is not a technique id such as T1566 or T1566.001",
			       path, id);
	if (!name || !copy_field(t->name, sizeof(t->name), name))
		return ch_fail(err, CH_INVALID, "%s: technique %s has no name or one longer than "
						"%zu bytes",
			       path, t->id, sizeof(t->name) - 1);

	json_array_foreach(json_object_get(object, "kill_chain_phases"), i, phase) {
		const char *chain = json_string_value(json_object_get(phase, "kill_chain_name"));
		const char *phase_name = json_string_value(json_object_get(phase, "phase_name"));

		if (!phase_name)
			continue;
		if (!list_append(t->tactics, sizeof(t->tactics), phase_name))
			return ch_fail(err, CH_INVALID, "%s: the tactics of technique %s are longer "
							"than %zu bytes",
				       path, t->id, sizeof(t->tactics) - 1);
		if (!domain && chain)
			domain = domain_from_kill_chain(chain);
	}

	if (domain && !copy_field(t->domain, sizeof(t->domain), domain))
		return ch_fail(err, CH_INVALID, "%s: technique %s has a domain longer than %zu bytes",
			       path, t->id, sizeof(t->domain) - 1);

	t->revoked = json_is_true(json_object_get(object, "revoked")) ||
		     json_is_true(json_object_get(object, "x_mitre_deprecated"));
	return CH_OK;
}

static enum ch_code load_bundle(const char *path, json_t **out, struct ch_error *err)
{
	struct stat st;
	json_error_t jerr;
	json_t *root;

	if (stat(path, &st) != 0)
		return ch_fail(err, CH_IO, "cannot read ATT&CK file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ch_fail(err, CH_IO, "ATT&CK file %s is not a regular file", path);
	if ((unsigned long long)st.st_size > ATTACK_FILE_MAX)
		return ch_fail(err, CH_TOO_LARGE, "ATT&CK file %s is %lld bytes, more than the "
						  "%zu bytes allowed",
			       path, (long long)st.st_size, ATTACK_FILE_MAX);

	root = json_load_file(path, 0, &jerr);
	if (!root)
		return ch_fail(err, CH_INVALID, "%s: invalid JSON at line %d, column %d: %s", path,
			       jerr.line, jerr.column, jerr.text);
	if (!json_is_array(json_object_get(root, "objects"))) {
		json_decref(root);
		return ch_fail(err, CH_INVALID, "%s is not a STIX bundle: it has no \"objects\" "
						"array",
			       path);
	}
	*out = root;
	return CH_OK;
}

enum ch_code attack_import_file(const char *path, attack_technique_cb cb, void *ctx,
				size_t *count, struct ch_error *err)
{
	json_t *root = NULL;
	const json_t *object;
	struct attack_technique technique;
	size_t found = 0;
	size_t i;
	enum ch_code rc;

	rc = load_bundle(path, &root, err);
	if (rc != CH_OK)
		goto out;

	json_array_foreach(json_object_get(root, "objects"), i, object) {
		const char *type = json_string_value(json_object_get(object, "type"));
		const char *id;

		if (!type || strcmp(type, "attack-pattern") != 0)
			continue;
		/* Attack patterns from other sources, such as CAPEC, carry no ATT&CK id. */
		id = mitre_external_id(object);
		if (!id)
			continue;

		rc = read_technique(object, path, id, &technique, err);
		if (rc != CH_OK)
			goto out;
		rc = cb(ctx, &technique, err);
		if (rc != CH_OK)
			goto out;
		found++;
	}
	*count = found;
	rc = CH_OK;

out:
	json_decref(root);
	return rc;
}
