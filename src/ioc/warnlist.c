/*
 * MISP warning lists, loaded from their JSON files with jansson. Entries of
 * "string", "hostname" and "cidr" lists are canonicalised at load time and
 * stored in hash tables, so a lookup costs one hash probe for a string,
 * one per label for a host name and one per distinct prefix length for an
 * address. The entries of all "substring" lists form one Aho-Corasick
 * automaton, so they cost one pass over the value. The entries of all
 * "regex" lists are joined into one alternation per case flag. A value
 * that contains none of the entries' required literals skips regexec, a
 * value that does costs one regexec per flag, and only a value that
 * matches an alternation is tested entry by entry to find the first list.
 *
 * Every table maps a key to the index of the first list that contains it,
 * and a lookup returns the lowest index among its hits, so the result is
 * "the first list in load order that matches".
 */
#include "ioc/warnlist.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ioc/ioc_internal.h"
#include "util/alloc.h"

/* Largest warning-list file accepted. The biggest published MISP lists
 * (top-domain rankings) are tens of megabytes. */
#define WARNLIST_FILE_MAX ((off_t)256 * 1024 * 1024)
/* Deepest directory nesting that ioc_warnlists_load_dir follows. */
#define WARNLIST_DIR_DEPTH_MAX 8

enum list_type { LIST_STRING, LIST_HOSTNAME, LIST_CIDR, LIST_SUBSTRING, LIST_REGEX };

static const char *const list_type_names[] = {
	[LIST_STRING] = "string",       [LIST_HOSTNAME] = "hostname", [LIST_CIDR] = "cidr",
	[LIST_SUBSTRING] = "substring", [LIST_REGEX] = "regex",
};

struct list {
	char *name;
	enum list_type type;
	/* Entries of LIST_SUBSTRING (lower-case) and LIST_REGEX. The automaton
	 * and the regex unions are built from them; ioc_warnlists_match_scan
	 * tests them one by one. */
	char **substrings;
	regex_t *regexes;
	char **regex_patterns; /* without the slashes and flags */
	bool *regex_icase;
	size_t entry_count;
};

/* One regex entry, in load order, pointing into its list. */
struct regex_source {
	size_t list;
	const regex_t *compiled;
	const char *pattern;
	bool icase;
	bool in_union; /* false: tested alone on every lookup */
};

/* The alternation of every union-safe regex entry with one case flag. */
struct regex_union {
	regex_t compiled;
	bool ready;
};

struct ioc_warnlists {
	struct list *lists;
	size_t count;
	size_t cap;
	struct ioc_table strings;
	struct ioc_table hostnames;
	struct ioc_table prefixes; /* family byte, length byte, masked address */
	bool v4_lengths[33];       /* prefix lengths present in prefixes */
	bool v6_lengths[129];
	struct ioc_ac *substrings; /* value: list index */
	struct regex_source *regex_sources;
	size_t regex_count;
	struct regex_union unions[2]; /* [0] case-sensitive, [1] REG_ICASE */
	/* Required literals of the union entries: a value that contains none
	 * of them cannot match a union, so it skips regexec. Off when some
	 * union entry has no literal of REGEX_LITERAL_MIN bytes. */
	struct ioc_ac *regex_literals;
	bool literal_filter;
};

/* Shortest required literal worth filtering on; a shorter one occurs in
 * too many values to save work. */
#define REGEX_LITERAL_MIN 3

#define NO_LIST SIZE_MAX

struct ioc_warnlists *ioc_warnlists_new(void)
{
	struct ioc_warnlists *wl = xcalloc(1, sizeof(*wl));

	ioc_table_init(&wl->strings);
	ioc_table_init(&wl->hostnames);
	ioc_table_init(&wl->prefixes);
	wl->substrings = ioc_ac_new();
	return wl;
}

static void free_list(struct list *list)
{
	for (size_t i = 0; list->substrings && i < list->entry_count; i++)
		free(list->substrings[i]);
	for (size_t i = 0; list->regexes && i < list->entry_count; i++) {
		regfree(&list->regexes[i]);
		free(list->regex_patterns[i]);
	}
	free(list->substrings);
	free(list->regexes);
	free(list->regex_patterns);
	free(list->regex_icase);
	free(list->name);
}

static void free_unions(struct ioc_warnlists *wl)
{
	for (size_t i = 0; i < 2; i++) {
		if (wl->unions[i].ready)
			regfree(&wl->unions[i].compiled);
		wl->unions[i].ready = false;
	}
}

void ioc_warnlists_free(struct ioc_warnlists *wl)
{
	if (!wl)
		return;
	for (size_t i = 0; i < wl->count; i++)
		free_list(&wl->lists[i]);
	free(wl->lists);
	ioc_table_free(&wl->strings);
	ioc_table_free(&wl->hostnames);
	ioc_table_free(&wl->prefixes);
	ioc_ac_free(wl->substrings);
	ioc_ac_free(wl->regex_literals);
	free_unions(wl);
	free(wl->regex_sources);
	free(wl);
}

size_t ioc_warnlists_count(const struct ioc_warnlists *wl)
{
	return wl ? wl->count : 0;
}

/* Builds the prefixes-table key of addr/prefix_len with host bits cleared. */
static size_t prefix_key(int family, const uint8_t *addr, unsigned prefix_len, uint8_t key[18])
{
	size_t size = family == AF_INET6 ? 16 : 4;

	key[0] = (uint8_t)(family == AF_INET6 ? 6 : 4);
	key[1] = (uint8_t)prefix_len;
	memcpy(key + 2, addr, size);
	for (size_t i = 0; i < size; i++) {
		unsigned bits = prefix_len > i * 8 ? prefix_len - (unsigned)i * 8 : 0;

		if (bits < 8)
			key[2 + i] &= (uint8_t)(0xff00u >> bits);
	}
	return 2 + size;
}

/* Splits a canonical "address/len" or bare address into binary form. */
static bool split_prefix(const char *value, int *family, uint8_t addr[16], unsigned *prefix_len)
{
	char text[IOC_VALUE_MAX];
	const char *slash = strchr(value, '/');
	size_t n = slash ? (size_t)(slash - value) : strlen(value);

	if (n >= sizeof(text))
		return false;
	memcpy(text, value, n);
	text[n] = '\0';
	*family = memchr(text, ':', n) ? AF_INET6 : AF_INET;
	if (inet_pton(*family, text, addr) != 1)
		return false;
	*prefix_len = slash ? (unsigned)strtoul(slash + 1, NULL, 10)
			    : (*family == AF_INET6 ? 128 : 32);
	return true;
}

static void add_prefix(struct ioc_warnlists *wl, const char *entry, size_t index)
{
	struct ioc ioc;
	uint8_t addr[16];
	uint8_t key[18];
	unsigned prefix_len;
	int family;

	/* NOTE: entries that are not an address or prefix are skipped; MISP
	 * publishes cidr lists that contain only valid prefixes. */
	if (ioc_parse_as(IOC_CIDR, entry, strlen(entry), NULL, &ioc, NULL) != CH_OK)
		return;
	if (!split_prefix(ioc.value, &family, addr, &prefix_len))
		return;
	ioc_table_insert(&wl->prefixes, key, prefix_key(family, addr, prefix_len, key),
			 (uint32_t)index, NULL);
	if (family == AF_INET6)
		wl->v6_lengths[prefix_len] = true;
	else
		wl->v4_lengths[prefix_len] = true;
}

static void add_hostname(struct ioc_warnlists *wl, const char *entry, size_t index)
{
	char name[IOC_DOMAIN_MAX];
	size_t n;

	/* Some lists write "*.example.com" or ".example.com" for "example.com
	 * and everything under it", which is what hostname lists mean anyway. */
	if (strncmp(entry, "*.", 2) == 0)
		entry += 2;
	else if (entry[0] == '.')
		entry++;
	if (ioc_domain_normalise(entry, strlen(entry), name, &n) && n > 0)
		ioc_table_insert(&wl->hostnames, name, n, (uint32_t)index, NULL);
}

static void add_string(struct ioc_warnlists *wl, const char *entry, size_t index)
{
	struct ioc ioc;

	/* Store the canonical form so that "HXXP://Evil.COM" on a list matches
	 * the indicator http://evil.com; keep entries that are no indicator. */
	if (ioc_parse(entry, strlen(entry), NULL, &ioc, NULL) == CH_OK)
		ioc_table_insert(&wl->strings, ioc.value, ioc.value_len, (uint32_t)index, NULL);
	else
		ioc_table_insert(&wl->strings, entry, strlen(entry), (uint32_t)index, NULL);
}

/* Compiles a MISP regex entry, written "/pattern/flags" or bare, as a POSIX
 * extended expression into entry k of the list, keeping its source text. */
static enum ch_code compile_regex(const char *path, const char *entry, struct list *list,
				  size_t k, struct ch_error *err)
{
	int flags = REG_EXTENDED | REG_NOSUB;
	char *pattern;
	const char *last = strrchr(entry, '/');

	if (entry[0] == '/' && last && last != entry) {
		for (const char *f = last + 1; *f; f++)
			flags |= *f == 'i' ? REG_ICASE : 0;
		pattern = xstrndup(entry + 1, (size_t)(last - entry) - 1);
	} else {
		pattern = xstrdup(entry);
	}
	if (regcomp(&list->regexes[k], pattern, flags) != 0) {
		free(pattern);
		return ch_fail(err, CH_INVALID,
			       "%s: regex entry '%.80s' is not a POSIX extended regular expression",
			       path, entry);
	}
	list->regex_patterns[k] = pattern;
	list->regex_icase[k] = (flags & REG_ICASE) != 0;
	return CH_OK;
}

static enum ch_code parse_type(const char *path, const char *text, enum list_type *type,
			       struct ch_error *err)
{
	for (size_t i = 0; i < sizeof(list_type_names) / sizeof(list_type_names[0]); i++) {
		if (strcmp(text, list_type_names[i]) == 0) {
			*type = (enum list_type)i;
			return CH_OK;
		}
	}
	return ch_fail(err, CH_INVALID,
		       "%s: warning list type '%.40s' is not supported (expected string, hostname, "
		       "cidr, substring or regex)", path, text);
}

/* Adds the entries of one parsed list. On failure, list owns what was
 * built so far and the caller frees it. */
static enum ch_code add_entries(struct ioc_warnlists *wl, struct list *list, size_t index,
				const char *path, json_t *entries, struct ch_error *err)
{
	size_t count = json_array_size(entries);

	if (list->type == LIST_SUBSTRING)
		list->substrings = xcalloc(count, sizeof(*list->substrings));
	if (list->type == LIST_REGEX) {
		list->regexes = xcalloc(count, sizeof(*list->regexes));
		list->regex_patterns = xcalloc(count, sizeof(*list->regex_patterns));
		list->regex_icase = xcalloc(count, sizeof(*list->regex_icase));
	}

	for (size_t i = 0; i < count; i++) {
		const char *entry = json_string_value(json_array_get(entries, i));

		/* Entries that are not strings carry no value to match. */
		if (!entry || entry[0] == '\0')
			continue;
		switch (list->type) {
		case LIST_STRING:
			add_string(wl, entry, index);
			break;
		case LIST_HOSTNAME:
			add_hostname(wl, entry, index);
			break;
		case LIST_CIDR:
			add_prefix(wl, entry, index);
			break;
		case LIST_SUBSTRING: {
			char *lower = xstrdup(entry);

			for (char *p = lower; *p; p++)
				*p = ioc_lower(*p);
			list->substrings[list->entry_count++] = lower;
			break;
		}
		case LIST_REGEX:
			if (compile_regex(path, entry, list, list->entry_count, err) != CH_OK)
				return CH_INVALID;
			list->entry_count++;
			break;
		}
	}
	return CH_OK;
}

/* Rejects a substring list that would take the automaton past its size
 * limit, before the list is added anywhere. */
static enum ch_code check_substring_room(const struct ioc_warnlists *wl, const struct list *list,
					 const char *path, struct ch_error *err)
{
	size_t bytes = 0;

	for (size_t i = 0; i < list->entry_count; i++)
		bytes += strlen(list->substrings[i]);
	if (bytes > IOC_AC_BYTES_MAX - ioc_ac_bytes(wl->substrings))
		return ch_fail(err, CH_TOO_LARGE,
			       "%s: substring entries of all warning lists would total more than "
			       "%zu bytes; load fewer substring lists", path, IOC_AC_BYTES_MAX);
	return CH_OK;
}

/* Adds the entries of the substring list at index to the automaton. */
static void index_substrings(struct ioc_warnlists *wl, size_t index)
{
	const struct list *list = &wl->lists[index];

	for (size_t i = 0; i < list->entry_count; i++)
		ioc_ac_add(wl->substrings, list->substrings[i], strlen(list->substrings[i]),
			   (uint32_t)index);
	ioc_ac_build(wl->substrings);
}

/* Returns the ']' that closes the bracket expression opening at p, or NULL. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *end = strchr(p + 2, p[1]);

			while (end && end[1] != ']')
				end = strchr(end + 1, p[1]);
			if (!end)
				return NULL;
			p = end + 1;
		}
		p++;
	}
	return *p ? p : NULL;
}

/*
 * Finds the longest run of literal characters that every match of a
 * union-safe pattern contains, at most IOC_DOMAIN_MAX - 1 bytes, and
 * returns its length (0 when there is none). Only characters outside
 * groups count, and none when the pattern has an alternation outside
 * groups. A character followed by '?', '*' or '{' is optional, so it ends
 * the run; one followed by '+' ends the run after it.
 */
static size_t required_literal(const char *pattern, char out[IOC_DOMAIN_MAX])
{
	char run[IOC_DOMAIN_MAX];
	size_t run_len = 0;
	size_t best = 0;
	long depth = 0;

	for (const char *p = pattern; *p; p++) {
		const char *next = p + 1;
		int c = -1; /* the literal at p, or -1 */

		/* An escaped punctuation character is a literal. An escaped letter
		 * or digit, or \<, \>, \` and \' in glibc, is a class, anchor or
		 * back-reference. */
		if (*p == '\\') {
			if (p[1] && strchr(".[]()*+?{}|^$\\/-_:@#%&=~!,;\"", p[1]))
				c = (unsigned char)p[1];
			next = p[1] ? p + 2 : p + 1;
		} else if (*p == '|' && depth == 0) {
			return 0;
		} else if (*p == '[') {
			next = bracket_end(p);
			if (!next)
				return 0;
			next++;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			depth--;
		} else if (!strchr(".^$?*+{}", *p)) {
			c = (unsigned char)*p;
		}
		if (depth > 0 || (*next && strchr("?*{", *next)))
			c = -1;

		if (c >= 0 && run_len < sizeof(run) - 1)
			run[run_len++] = (char)c;
		else
			run_len = 0;
		if (run_len > best) {
			best = run_len;
			memcpy(out, run, run_len);
		}
		if (*next == '+')
			run_len = 0;
		p = next - 1;
	}
	return best;
}

/*
 * Whether "(pattern)" inside an alternation matches exactly what pattern
 * matches alone. That fails for a back-reference, whose group number would
 * change, and for an unmatched ')', which glibc takes as a literal alone but
 * which would close the wrapping group early. Bracket expressions are
 * skipped, including "[]...]" and classes such as "[[:digit:]]".
 */
static bool union_safe(const char *pattern)
{
	long depth = 0;

	for (const char *p = pattern; *p; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || ioc_is_digit((unsigned char)p[1]))
				return false;
			p++;
		} else if (*p == '[') {
			p = bracket_end(p);
			if (!p)
				return false;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth < 0) {
			return false;
		}
	}
	return depth == 0;
}

/* Compiles the alternation of the union-safe sources with one case flag.
 * When glibc rejects it (REG_ESPACE for a very large union), its sources
 * are tested alone instead. */
static void build_union(struct ioc_warnlists *wl, bool icase)
{
	struct regex_union *u = &wl->unions[icase];
	size_t len = 0;
	char *text;
	char *end;

	for (size_t i = 0; i < wl->regex_count; i++) {
		struct regex_source *src = &wl->regex_sources[i];

		src->in_union = src->icase == icase ? union_safe(src->pattern) : src->in_union;
		if (src->icase == icase && src->in_union)
			len += strlen(src->pattern) + 3;
	}
	if (len == 0)
		return;

	text = xmalloc(len + 1);
	end = text;
	for (size_t i = 0; i < wl->regex_count; i++) {
		const struct regex_source *src = &wl->regex_sources[i];
		size_t n = strlen(src->pattern);

		if (src->icase != icase || !src->in_union)
			continue;
		if (end != text)
			*end++ = '|';
		*end++ = '(';
		memcpy(end, src->pattern, n);
		end += n;
		*end++ = ')';
	}
	*end = '\0';
	u->ready = regcomp(&u->compiled, text, REG_EXTENDED | REG_NOSUB |
						       (icase ? REG_ICASE : 0)) == 0;
	free(text);
	for (size_t i = 0; !u->ready && i < wl->regex_count; i++) {
		if (wl->regex_sources[i].icase == icase)
			wl->regex_sources[i].in_union = false;
	}
}

/* Rebuilds the automaton of the union entries' required literals. */
static void build_literal_filter(struct ioc_warnlists *wl)
{
	char literal[IOC_DOMAIN_MAX];

	ioc_ac_free(wl->regex_literals);
	wl->regex_literals = ioc_ac_new();
	wl->literal_filter = true;
	for (size_t i = 0; i < wl->regex_count && wl->literal_filter; i++) {
		size_t len;

		if (!wl->regex_sources[i].in_union)
			continue;
		len = required_literal(wl->regex_sources[i].pattern, literal);
		wl->literal_filter = len >= REGEX_LITERAL_MIN &&
				     ioc_ac_add(wl->regex_literals, literal, len, 0);
	}
	ioc_ac_build(wl->regex_literals);
}

/* Adds the entries of the regex list at index to the sources and rebuilds
 * both unions. */
static void index_regexes(struct ioc_warnlists *wl, size_t index)
{
	const struct list *list = &wl->lists[index];

	wl->regex_sources = xreallocarray(wl->regex_sources, wl->regex_count + list->entry_count,
					  sizeof(*wl->regex_sources));
	for (size_t i = 0; i < list->entry_count; i++) {
		wl->regex_sources[wl->regex_count++] = (struct regex_source){
			.list = index,
			.compiled = &list->regexes[i],
			.pattern = list->regex_patterns[i],
			.icase = list->regex_icase[i],
		};
	}
	free_unions(wl);
	build_union(wl, false);
	build_union(wl, true);
	build_literal_filter(wl);
}

enum ch_code ioc_warnlists_load_file(struct ioc_warnlists *wl, const char *path,
				     struct ch_error *err)
{
	struct stat st;
	json_error_t jerr;
	json_t *root = NULL;
	struct list list = { 0 };
	enum ch_code rc;

	if (stat(path, &st) != 0)
		return ch_fail(err, CH_IO, "%s: cannot read warning list: %s", path,
			       strerror(errno));
	if (st.st_size > WARNLIST_FILE_MAX)
		return ch_fail(err, CH_TOO_LARGE, "%s: warning list of %lld bytes is larger than "
						  "the maximum of %lld bytes", path,
			       (long long)st.st_size, (long long)WARNLIST_FILE_MAX);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		return ch_fail(err, CH_INVALID, "%s:%d: invalid JSON in warning list: %s", path,
			       jerr.line, jerr.text);

	const char *name = json_string_value(json_object_get(root, "name"));
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *entries = json_object_get(root, "list");

	if (!name || !type || !json_is_array(entries)) {
		rc = ch_fail(err, CH_INVALID, "%s: a warning list needs a string \"name\", a "
					      "string \"type\" and an array \"list\"", path);
		goto out;
	}
	rc = parse_type(path, type, &list.type, err);
	if (rc != CH_OK)
		goto out;
	list.name = xstrdup(name);
	rc = add_entries(wl, &list, wl->count, path, entries, err);
	if (rc == CH_OK && list.type == LIST_SUBSTRING)
		rc = check_substring_room(wl, &list, path, err);
	if (rc != CH_OK)
		goto out;

	if (wl->count == wl->cap) {
		wl->cap = wl->cap ? wl->cap * 2 : 8;
		wl->lists = xreallocarray(wl->lists, wl->cap, sizeof(*wl->lists));
	}
	wl->lists[wl->count++] = list;
	list = (struct list){ 0 };
	if (wl->lists[wl->count - 1].type == LIST_SUBSTRING)
		index_substrings(wl, wl->count - 1);
	if (wl->lists[wl->count - 1].type == LIST_REGEX)
		index_regexes(wl, wl->count - 1);
out:
	/* Only substring and regex lists can fail part-way, and their entries
	 * stay in the list until it is complete, so a failed list leaves
	 * nothing in the tables. */
	free_list(&list);
	json_decref(root);
	return rc;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum ch_code load_dir(struct ioc_warnlists *wl, const char *dir, int depth,
			     struct ch_error *err)
{
	DIR *d;
	struct dirent *e;
	char **paths = NULL;
	size_t count = 0;
	size_t cap = 0;
	enum ch_code rc = CH_OK;

	if (depth > WARNLIST_DIR_DEPTH_MAX)
		return ch_fail(err, CH_TOO_LARGE, "%s: warning-list directories nest deeper than %d",
			       dir, WARNLIST_DIR_DEPTH_MAX);
	d = opendir(dir);
	if (!d)
		return ch_fail(err, CH_IO, "%s: cannot open warning-list directory: %s",
			       dir, strerror(errno));

	/* Sorted names make "the first list that matches" the same on every
	 * machine, whatever order readdir returns. */
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			paths = xreallocarray(paths, cap, sizeof(*paths));
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;

		paths[count] = xmalloc(len);
		snprintf(paths[count], len, "%s/%s", dir, e->d_name);
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(paths, count, sizeof(*paths), compare_strings);

	for (size_t i = 0; i < count && rc == CH_OK; i++) {
		struct stat st;
		size_t len = strlen(paths[i]);

		if (stat(paths[i], &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = load_dir(wl, paths[i], depth + 1, err);
		else if (len > 5 && strcmp(paths[i] + len - 5, ".json") == 0)
			rc = ioc_warnlists_load_file(wl, paths[i], err);
	}
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

enum ch_code ioc_warnlists_load_dir(struct ioc_warnlists *wl, const char *dir,
				    struct ch_error *err)
{
	return load_dir(wl, dir, 0, err);
}

static void lookup(const struct ioc_table *table, const void *key, size_t len, size_t *best)
{
	uint32_t index;

	if (ioc_table_find(table, key, len, &index) && index < *best)
		*best = index;
}

/* Looks the name up, then each parent domain: one probe per label. */
static void match_hostname(const struct ioc_warnlists *wl, const char *name, size_t len,
			   size_t *best)
{
	while (len > 0) {
		const char *dot = memchr(name, '.', len);

		lookup(&wl->hostnames, name, len, best);
		if (!dot)
			break;
		len -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
}

/* NOTE: this costs one hash probe per prefix length present in the lists,
 * up to 33 for IPv4 and 129 for IPv6. With generated lists of 25 IPv4 and
 * 49 IPv6 lengths (and generated substring and regex lists), bench/warnlist
 * measured about 1.3 million address checks per second, against about 11
 * million with the shared hostname lists alone. A radix tree would bound
 * the prefix part by the address length instead. */
static void match_prefix(const struct ioc_warnlists *wl, const char *value, size_t *best)
{
	uint8_t addr[16];
	uint8_t key[18];
	unsigned prefix_len;
	int family;
	const bool *lengths;

	if (!split_prefix(value, &family, addr, &prefix_len))
		return;
	lengths = family == AF_INET6 ? wl->v6_lengths : wl->v4_lengths;
	for (unsigned len = 0; len <= prefix_len; len++) {
		if (lengths[len])
			lookup(&wl->prefixes, key, prefix_key(family, addr, len, key), best);
	}
}

/* Case-insensitive search for a lower-case needle. */
static bool contains_nocase(const char *haystack, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++) {
		size_t k = 0;

		while (k < n && ioc_lower(haystack[i + k]) == needle[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* The reference matcher for substring and regex lists: every entry of
 * every list, one by one. */
static void match_scanned(const struct ioc_warnlists *wl, const struct ioc *ioc, size_t *best)
{
	for (size_t i = 0; i < wl->count && i < *best; i++) {
		const struct list *list = &wl->lists[i];

		for (size_t k = 0; k < list->entry_count && i < *best; k++) {
			if (list->type == LIST_SUBSTRING &&
			    contains_nocase(ioc->value, ioc->value_len, list->substrings[k]))
				*best = i;
			if (list->type == LIST_REGEX &&
			    regexec(&list->regexes[k], ioc->value, 0, NULL, 0) == 0)
				*best = i;
		}
	}
}

/* Tests regex sources of lists before *best, in load order, stopping at the
 * first match; with all false, only those outside the unions. */
static void match_regex_sources(const struct ioc_warnlists *wl, const char *value, bool all,
				size_t *best)
{
	for (size_t i = 0; i < wl->regex_count && wl->regex_sources[i].list < *best; i++) {
		const struct regex_source *src = &wl->regex_sources[i];

		if ((all || !src->in_union) && regexec(src->compiled, value, 0, NULL, 0) == 0) {
			*best = src->list;
			return;
		}
	}
}

static void match_indexed(const struct ioc_warnlists *wl, const struct ioc *ioc, size_t *best)
{
	uint32_t index = ioc_ac_find_min(wl->substrings, ioc->value, ioc->value_len);
	bool union_hit = false;

	if (index != IOC_AC_NONE && index < *best)
		*best = index;
	if (wl->regex_count == 0)
		return;

	/* A hit on a union shows only that some entry matched, so the entries
	 * are then tested in load order to find the first list. */
	if (!wl->literal_filter ||
	    ioc_ac_find_min(wl->regex_literals, ioc->value, ioc->value_len) != IOC_AC_NONE) {
		for (size_t i = 0; i < 2 && !union_hit; i++)
			union_hit = wl->unions[i].ready &&
				    regexec(&wl->unions[i].compiled, ioc->value, 0, NULL, 0) == 0;
	}
	match_regex_sources(wl, ioc->value, union_hit, best);
}

/* Looks the value up in the string, hostname and prefix tables. */
static void match_tables(const struct ioc_warnlists *wl, const struct ioc *ioc, size_t *best)
{
	struct ioc_url_host host;

	lookup(&wl->strings, ioc->value, ioc->value_len, best);
	switch (ioc->type) {
	case IOC_DOMAIN:
		match_hostname(wl, ioc->value, ioc->value_len, best);
		break;
	case IOC_EMAIL: {
		const char *at = strrchr(ioc->value, '@');

		if (at)
			match_hostname(wl, at + 1, strlen(at + 1), best);
		break;
	}
	case IOC_IPV4:
	case IOC_IPV6:
	case IOC_CIDR:
		match_prefix(wl, ioc->value, best);
		break;
	case IOC_URL: {
		char text[IOC_DOMAIN_MAX];

		ioc_url_host(ioc, &host);
		if (host.host_type == IOC_DOMAIN) {
			match_hostname(wl, ioc->value + host.host_start, host.host_len, best);
		} else if (host.host_type != IOC_NONE && host.host_len < sizeof(text)) {
			memcpy(text, ioc->value + host.host_start, host.host_len);
			text[host.host_len] = '\0';
			lookup(&wl->strings, text, host.host_len, best);
			match_prefix(wl, text, best);
		}
		break;
	}
	default:
		break;
	}
}

const char *ioc_warnlists_match(const struct ioc_warnlists *wl, const struct ioc *ioc)
{
	size_t best = NO_LIST;

	if (!wl || wl->count == 0)
		return NULL;
	match_tables(wl, ioc, &best);
	match_indexed(wl, ioc, &best);
	return best < wl->count ? wl->lists[best].name : NULL;
}

const char *ioc_warnlists_match_scan(const struct ioc_warnlists *wl, const struct ioc *ioc)
{
	size_t best = NO_LIST;

	if (!wl || wl->count == 0)
		return NULL;
	match_tables(wl, ioc, &best);
	match_scanned(wl, ioc, &best);
	return best < wl->count ? wl->lists[best].name : NULL;
}
