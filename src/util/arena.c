/*
 * String arena in chunks that never move.
 */
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	char data[];
};

static struct arena_chunk *chunk_new(size_t size, struct arena_chunk *next)
{
	struct arena_chunk *c = xmalloc(sizeof(*c) + size);

	c->next = next;
	c->size = size;
	c->used = 0;
	return c;
}

void arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 1 << 20;
	a->used = 0;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	struct arena_chunk *c = a->head;
	char *copy;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > a->chunk_size ? len + 1 : a->chunk_size;

		c = chunk_new(size, a->head);
		a->head = c;
	}
	copy = c->data + c->used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	c->used += len + 1;
	a->used += len + 1;
	return copy;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->head;

	if (!keep)
		return;
	/* Keep the newest chunk if it is a regular one; free the rest. */
	for (struct arena_chunk *c = keep->next; c;) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	keep->next = NULL;
	keep->used = 0;
	if (keep->size != a->chunk_size) {
		free(keep);
		a->head = NULL;
	}
	a->used = 0;
}

void arena_free(struct arena *a)
{
	for (struct arena_chunk *c = a->head; c;) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
