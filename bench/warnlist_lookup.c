/*
 * Warning-list lookup benchmark for `make bench` (run by bench/warnlist).
 * It loads every list under a directory and parses the indicators of the
 * input files, one per line, skipping lines that are no indicator. Then it
 * times ioc_warnlists_match, the indexed matcher, beside
 * ioc_warnlists_match_scan, which tests substring and regex entries one by
 * one as ctihub did before. Both run on the same indicators, alternating,
 * and each rate is the median of ROUNDS runs of at most RUN_SECONDS_MAX. With --synthetic it first
 * adds generated substring, regex, CIDR and string lists, because the
 * published lists it is usually given may contain none of those types.
 * Before timing, it checks that both matchers return the same list for
 * every indicator.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ioc/ioc.h"
#include "ioc/warnlist.h"
#include "util/alloc.h"

/* Timed runs per matcher; the median is printed. */
#define ROUNDS 3
/* A timed run stops after this many seconds even before its lookups are
 * done, because the scan can be thousands of times slower. */
#define RUN_SECONDS_MAX 2.0
/* Size of the line buffer. fgets splits a longer line into pieces, which
 * are parsed like lines. */
#define LINE_MAX_BYTES 4096

typedef const char *(*match_fn)(const struct ioc_warnlists *wl, const struct ioc *ioc);

struct indicators {
	struct ioc *items;
	size_t count;
	size_t cap;
};

/* Deterministic generator, so that every run loads the same lists. */
static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_indicators(const char *path, struct indicators *set)
{
	FILE *f = fopen(path, "r");
	char line[LINE_MAX_BYTES];

	if (!f) {
		fprintf(stderr, "warnlist_lookup: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (set->count < set->cap && fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");

		if (len == 0 || line[0] == '#')
			continue;
		if (ioc_parse(line, len, NULL, &set->items[set->count], NULL) == CH_OK)
			set->count++;
	}
	fclose(f);
}

/* Writes json into a temporary file and loads it. */
static void load_json(struct ioc_warnlists *wl, const char *json)
{
	char path[] = "/tmp/warnlist_lookup_XXXXXX";
	int fd = mkstemp(path);
	struct ch_error err = { 0 };
	size_t len = strlen(json);

	if (fd < 0 || write(fd, json, len) != (ssize_t)len) {
		fprintf(stderr, "warnlist_lookup: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	if (ioc_warnlists_load_file(wl, path, &err) != CH_OK) {
		fprintf(stderr, "warnlist_lookup: %s\n", err.message);
		exit(1);
	}
	unlink(path);
}

/* Appends to a growing JSON text. */
static void append(char **text, size_t *len, size_t *cap, const char *piece)
{
	size_t n = strlen(piece);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*text = xrealloc(*text, *cap);
	}
	memcpy(*text + *len, piece, n + 1);
	*len += n;
}

/* Builds one list of count entries, each written by entry_fn, and loads it. */
static void load_generated(struct ioc_warnlists *wl, const char *name, const char *type,
			   size_t count, void (*entry_fn)(uint32_t *seed, char *out, size_t cap),
			   uint32_t *seed)
{
	char *text = NULL;
	size_t len = 0;
	size_t cap = 0;
	char entry[256];
	char head[128];

	snprintf(head, sizeof(head), "{\"name\": \"%s\", \"type\": \"%s\", \"list\": [", name,
		 type);
	append(&text, &len, &cap, head);
	for (size_t i = 0; i < count; i++) {
		append(&text, &len, &cap, i ? ", \"" : "\"");
		entry_fn(seed, entry, sizeof(entry));
		append(&text, &len, &cap, entry);
		append(&text, &len, &cap, "\"");
	}
	append(&text, &len, &cap, "]}");
	load_json(wl, text);
	free(text);
}

static void random_word(uint32_t *seed, char *out, size_t min, size_t spread)
{
	size_t len = min + next_random(seed) % spread;

	for (size_t i = 0; i < len; i++)
		out[i] = (char)('a' + next_random(seed) % 26);
	out[len] = '\0';
}

static void substring_entry(uint32_t *seed, char *out, size_t cap)
{
	char word[16];

	random_word(seed, word, 5, 6);
	snprintf(out, cap, "%s", word);
}

/* Anchored host-name patterns, half of them case-insensitive. */
static void regex_entry(uint32_t *seed, char *out, size_t cap)
{
	char word[16];

	random_word(seed, word, 5, 6);
	if (next_random(seed) % 2)
		snprintf(out, cap, "^[a-z0-9-]+\\\\.%s\\\\.com$", word);
	else
		snprintf(out, cap, "/^cdn[0-9]+\\\\.%s\\\\.(net|org)$/i", word);
}

static void cidr_entry(uint32_t *seed, char *out, size_t cap)
{
	uint32_t r = next_random(seed);

	if (r % 5 == 0)
		snprintf(out, cap, "2%03x:%x::/%u", next_random(seed) % 0x1000,
			 next_random(seed) % 0x10000, 16 + next_random(seed) % 49);
	else
		snprintf(out, cap, "%u.%u.%u.%u/%u", next_random(seed) % 224,
			 next_random(seed) % 256, next_random(seed) % 256, next_random(seed) % 256,
			 8 + next_random(seed) % 25);
}

static void md5_entry(uint32_t *seed, char *out, size_t cap)
{
	for (size_t i = 0; i < 32 && i + 1 < cap; i++)
		out[i] = "0123456789abcdef"[next_random(seed) % 16];
	out[32] = '\0';
}

/* Adds lists of the types that the published lists may lack. These are 4
 * substring lists of 250 entries, 2 regex lists of 50, one CIDR list of
 * 2,500 prefixes of 25 IPv4 and 49 IPv6 lengths, and one string list of
 * 1,000 MD5 values. */
static void load_synthetic(struct ioc_warnlists *wl)
{
	uint32_t seed = 1;
	char name[64];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "synthetic substrings %d", i);
		load_generated(wl, name, "substring", 250, substring_entry, &seed);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "synthetic regexes %d", i);
		load_generated(wl, name, "regex", 50, regex_entry, &seed);
	}
	load_generated(wl, "synthetic prefixes", "cidr", 2500, cidr_entry, &seed);
	load_generated(wl, "synthetic hashes", "string", 1000, md5_entry, &seed);
}

/* Runs up to lookups checks, cycling through the indicators, and returns
 * the rate per second. hits receives the number of matches and done the
 * number of checks, which is smaller when RUN_SECONDS_MAX ran out. */
static double time_lookups(const struct ioc_warnlists *wl, match_fn match,
			   const struct indicators *set, const size_t *order, size_t order_len,
			   size_t lookups, size_t *hits, size_t *done)
{
	size_t found = 0;
	size_t i = 0;
	size_t k = 0;
	double start = now_seconds();
	double elapsed = 0;

	while (i < lookups) {
		/* Read the clock every 1,024 checks so that it costs nothing. */
		size_t end = i + 1024 < lookups ? i + 1024 : lookups;

		for (; i < end; i++, k = k + 1 == order_len ? 0 : k + 1)
			found += match(wl, &set->items[order[k]]) != NULL;
		elapsed = now_seconds() - start;
		if (elapsed > RUN_SECONDS_MAX)
			break;
	}
	*hits = found;
	*done = i;
	return (double)i / elapsed;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Counts the indicators on which the two matchers disagree. */
static size_t count_mismatches(const struct ioc_warnlists *wl, const struct indicators *set)
{
	size_t mismatches = 0;

	for (size_t i = 0; i < set->count; i++) {
		const char *a = ioc_warnlists_match(wl, &set->items[i]);
		const char *b = ioc_warnlists_match_scan(wl, &set->items[i]);

		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			mismatches++;
	}
	return mismatches;
}

/* Prints the indexed rate for the indicators of one kind. */
static void time_kind(const struct ioc_warnlists *wl, const struct indicators *set,
		      const char *label, const enum ioc_type *types, size_t lookups)
{
	size_t *order = xmalloc(set->count * sizeof(*order));
	size_t n = 0;
	size_t hits;
	size_t done;

	for (size_t i = 0; i < set->count; i++) {
		for (const enum ioc_type *t = types; *t != IOC_NONE; t++) {
			if (set->items[i].type == *t)
				order[n++] = i;
		}
	}
	if (n > 0)
		printf("    %-22s %7zu indicators %14.0f lookups/s\n", label, n,
		       time_lookups(wl, ioc_warnlists_match, set, order, n, lookups, &hits,
				    &done));
	free(order);
}

static void usage(void)
{
	fprintf(stderr, "usage: warnlist_lookup [--synthetic] [--lookups N] [--max N] LIST_DIR "
			"INPUT...\n"
			"  --synthetic  also load generated substring, regex, CIDR and string lists\n"
			"  --lookups N  checks per timed run (default 10000000)\n"
			"  --max N      most indicators read from the inputs (default 20000)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "synthetic", no_argument, NULL, 's' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	static const enum ioc_type domains[] = { IOC_DOMAIN, IOC_EMAIL, IOC_NONE };
	static const enum ioc_type urls[] = { IOC_URL, IOC_NONE };
	static const enum ioc_type addresses[] = { IOC_IPV4, IOC_IPV6, IOC_CIDR, IOC_NONE };
	static const enum ioc_type hashes[] = { IOC_MD5, IOC_SHA1, IOC_SHA256, IOC_SHA512,
						IOC_NONE };
	bool synthetic = false;
	size_t lookups = 10000000;
	struct indicators set = { .cap = 20000 };
	struct ioc_warnlists *wl = ioc_warnlists_new();
	struct ch_error err = { 0 };
	double indexed[ROUNDS];
	double scanned[ROUNDS];
	size_t *order;
	size_t hits = 0;
	size_t done = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 's')
			synthetic = true;
		else if (opt == 'l')
			lookups = strtoull(optarg, NULL, 10);
		else if (opt == 'm')
			set.cap = strtoull(optarg, NULL, 10);
		else
			usage();
	}
	if (argc - optind < 2 || lookups == 0 || set.cap == 0)
		usage();

	if (ioc_warnlists_load_dir(wl, argv[optind], &err) != CH_OK) {
		fprintf(stderr, "warnlist_lookup: %s\n", err.message);
		return 1;
	}
	if (synthetic)
		load_synthetic(wl);
	set.items = xmalloc(set.cap * sizeof(*set.items));
	for (int i = optind + 1; i < argc; i++)
		read_indicators(argv[i], &set);
	if (set.count == 0) {
		fprintf(stderr, "warnlist_lookup: the inputs contain no indicator\n");
		return 1;
	}
	order = xmalloc(set.count * sizeof(*order));
	for (size_t i = 0; i < set.count; i++)
		order[i] = i;

	printf("  %zu lists, %zu indicators, %zu disagreements between the matchers\n",
	       ioc_warnlists_count(wl), set.count, count_mismatches(wl, &set));
	for (int r = 0; r < ROUNDS; r++) {
		indexed[r] = time_lookups(wl, ioc_warnlists_match, &set, order, set.count, lookups,
					  &hits, &done);
		printf("  round %d: indexed %.0f lookups/s, %zu of %zu lookups hit a list\n", r + 1,
		       indexed[r], hits, done);
		scanned[r] = time_lookups(wl, ioc_warnlists_match_scan, &set, order, set.count,
					  lookups, &hits, &done);
		printf("  round %d: scan    %.0f lookups/s, %zu of %zu lookups hit a list\n", r + 1,
		       scanned[r], hits, done);
	}
	qsort(indexed, ROUNDS, sizeof(double), compare_doubles);
	qsort(scanned, ROUNDS, sizeof(double), compare_doubles);
	printf("  indexed (ioc_warnlists_match)   %14.0f lookups/s (median of %d)\n",
	       indexed[ROUNDS / 2], ROUNDS);
	printf("  scan (ioc_warnlists_match_scan) %14.0f lookups/s (median of %d)\n",
	       scanned[ROUNDS / 2], ROUNDS);
	printf("  indexed by kind:\n");
	time_kind(wl, &set, "domains and emails", domains, lookups / 4);
	time_kind(wl, &set, "URLs", urls, lookups / 4);
	time_kind(wl, &set, "IP addresses and CIDRs", addresses, lookups / 4);
	time_kind(wl, &set, "hashes", hashes, lookups / 4);
	/* The last line is for bench/warnlist to read. */
	printf("RESULT %.0f %.0f\n", indexed[ROUNDS / 2], scanned[ROUNDS / 2]);

	free(order);
	free(set.items);
	ioc_warnlists_free(wl);
	return 0;
}
