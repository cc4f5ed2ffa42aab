/*
 * A string arena: copies of many short strings in large chunks that never
 * move, so pointers into the arena stay valid until arena_reset or
 * arena_free. Used to hold a batch of canonical values with one allocation
 * per chunk instead of one per value.
 *
 * Ownership: the arena owns every copy; arena_free releases all of them.
 */
#ifndef CTIHUB_UTIL_ARENA_H
#define CTIHUB_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* chunk being filled; older chunks follow */
	size_t chunk_size;
	size_t used;              /* bytes in use across all chunks */
};

void arena_init(struct arena *a, size_t chunk_size);
/* Copies len bytes and a NUL; a string longer than a chunk gets a chunk of
 * its own. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
/* Drops every copy but keeps one chunk for reuse. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
