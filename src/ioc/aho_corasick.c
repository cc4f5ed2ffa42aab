/*
 * Aho-Corasick automaton for the "substring" warning lists: every pattern
 * of every list goes into one automaton, so that a check reads the value
 * once, whatever the number of patterns.
 *
 * The automaton is a complete DFA. Bytes are first mapped to classes: one
 * class per distinct (lower-cased) byte that occurs in some pattern, and
 * class 0 for every other byte. A byte of class 0 can never extend a match,
 * so each state's row has only as many columns as there are classes, which
 * keeps the table small for patterns drawn from a few dozen characters.
 * Matching is ASCII case-insensitive: patterns are stored lower-case and
 * 'A'..'Z' in the text map to the classes of 'a'..'z'.
 *
 * Each state carries the lowest value among the patterns that end there or
 * at any state on its failure chain, so a search keeps the minimum of the
 * values of the states it passes through.
 */
#include <stdlib.h>
#include <string.h>

#include "ioc/ioc_internal.h"
#include "util/alloc.h"

struct pattern {
	char *text; /* lower-case */
	size_t len;
	uint32_t value;
};

struct ioc_ac {
	struct pattern *patterns;
	size_t count;
	size_t cap;
	size_t total_bytes;

	/* The built DFA; empty until ioc_ac_build. */
	uint8_t classes[256]; /* byte to class, 0 for bytes in no pattern */
	size_t class_count;
	uint32_t *next;   /* state_count rows of class_count next states */
	uint32_t *output; /* per state: lowest value matched there, or IOC_AC_NONE */
	size_t state_count;
};

struct ioc_ac *ioc_ac_new(void)
{
	return xcalloc(1, sizeof(struct ioc_ac));
}

static void clear_dfa(struct ioc_ac *ac)
{
	free(ac->next);
	free(ac->output);
	ac->next = NULL;
	ac->output = NULL;
	ac->state_count = 0;
	ac->class_count = 0;
	memset(ac->classes, 0, sizeof(ac->classes));
}

void ioc_ac_free(struct ioc_ac *ac)
{
	if (!ac)
		return;
	for (size_t i = 0; i < ac->count; i++)
		free(ac->patterns[i].text);
	free(ac->patterns);
	clear_dfa(ac);
	free(ac);
}

size_t ioc_ac_bytes(const struct ioc_ac *ac)
{
	return ac ? ac->total_bytes : 0;
}

bool ioc_ac_add(struct ioc_ac *ac, const char *pattern, size_t len, uint32_t value)
{
	struct pattern *p;

	if (len == 0 || len > IOC_AC_BYTES_MAX - ac->total_bytes)
		return false;
	if (ac->count == ac->cap) {
		ac->cap = ac->cap ? ac->cap * 2 : 16;
		ac->patterns = xreallocarray(ac->patterns, ac->cap, sizeof(*ac->patterns));
	}
	p = &ac->patterns[ac->count++];
	p->text = xstrndup(pattern, len);
	for (size_t i = 0; i < len; i++)
		p->text[i] = ioc_lower(p->text[i]);
	p->len = len;
	p->value = value;
	ac->total_bytes += len;
	return true;
}

/* Gives each distinct pattern byte a class, then maps 'A'..'Z' to the
 * classes of 'a'..'z'. */
static void assign_classes(struct ioc_ac *ac)
{
	ac->class_count = 1;
	for (size_t i = 0; i < ac->count; i++) {
		for (size_t k = 0; k < ac->patterns[i].len; k++) {
			unsigned char c = (unsigned char)ac->patterns[i].text[k];

			if (ac->classes[c] == 0)
				ac->classes[c] = (uint8_t)ac->class_count++;
		}
	}
	for (int c = 'A'; c <= 'Z'; c++)
		ac->classes[c] = ac->classes[c | 0x20];
}

/* Inserts the patterns into a trie whose rows are the DFA rows; 0 in a row
 * means "no edge" until the failure pass fills it. State 0 is the root. */
static void build_trie(struct ioc_ac *ac)
{
	size_t cap = ac->total_bytes + 1;

	ac->next = xcalloc(cap * ac->class_count, sizeof(*ac->next));
	ac->output = xmalloc(cap * sizeof(*ac->output));
	ac->output[0] = IOC_AC_NONE;
	ac->state_count = 1;

	for (size_t i = 0; i < ac->count; i++) {
		const struct pattern *p = &ac->patterns[i];
		uint32_t state = 0;

		for (size_t k = 0; k < p->len; k++) {
			uint32_t *edge = &ac->next[state * ac->class_count +
						   ac->classes[(unsigned char)p->text[k]]];

			if (*edge == 0) {
				*edge = (uint32_t)ac->state_count;
				ac->output[ac->state_count++] = IOC_AC_NONE;
			}
			state = *edge;
		}
		if (p->value < ac->output[state])
			ac->output[state] = p->value;
	}
}

/*
 * Computes failure links breadth-first and turns the trie into a complete
 * DFA: a missing edge of state s on class c becomes the edge of fail(s) on
 * c. Parents come before children in breadth-first order, so fail(s) is
 * complete when s is processed, and a state's output takes the minimum with
 * its failure state's output, which already covers the rest of the chain.
 */
static void link_failures(struct ioc_ac *ac)
{
	size_t classes = ac->class_count;
	uint32_t *queue = xmalloc(ac->state_count * sizeof(*queue));
	uint32_t *fail = xcalloc(ac->state_count, sizeof(*fail));
	size_t head = 0;
	size_t tail = 0;

	/* Children of the root fail to the root; its missing edges stay 0. */
	for (size_t c = 0; c < classes; c++) {
		if (ac->next[c] != 0)
			queue[tail++] = ac->next[c];
	}
	while (head < tail) {
		uint32_t state = queue[head++];
		uint32_t *row = &ac->next[(size_t)state * classes];
		const uint32_t *fail_row = &ac->next[(size_t)fail[state] * classes];

		if (ac->output[fail[state]] < ac->output[state])
			ac->output[state] = ac->output[fail[state]];
		for (size_t c = 0; c < classes; c++) {
			if (row[c] != 0) {
				fail[row[c]] = fail_row[c];
				queue[tail++] = row[c];
			} else {
				row[c] = fail_row[c];
			}
		}
	}
	free(queue);
	free(fail);
}

void ioc_ac_build(struct ioc_ac *ac)
{
	clear_dfa(ac);
	if (ac->count == 0)
		return;
	assign_classes(ac);
	build_trie(ac);
	link_failures(ac);
}

uint32_t ioc_ac_find_min(const struct ioc_ac *ac, const char *text, size_t len)
{
	uint32_t best = IOC_AC_NONE;
	uint32_t state = 0;

	if (!ac || ac->state_count == 0)
		return IOC_AC_NONE;
	for (size_t i = 0; i < len; i++) {
		state = ac->next[(size_t)state * ac->class_count +
				 ac->classes[(unsigned char)text[i]]];
		if (ac->output[state] < best)
			best = ac->output[state];
	}
	return best;
}
