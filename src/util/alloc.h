/*
 * Allocation wrappers. Every heap allocation in ctihub goes through these so
 * that running out of memory ends the process with one clear message instead
 * of a NULL dereference somewhere far away. Callers never check for NULL.
 */
#ifndef CTIHUB_UTIL_ALLOC_H
#define CTIHUB_UTIL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of count elements of size bytes each; aborts on overflow. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

#endif
