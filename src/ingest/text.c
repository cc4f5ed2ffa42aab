/*
 * The free-text reader: every indicator anywhere in an analyst write-up.
 * Hosts found inside a URL are linked to the URL by the extractor and are
 * not stored on their own; the URL carries its registrable domain.
 *
 * The text is extracted in chunks that end at a line break, because each
 * match the extractor lists costs about 4 KB until it is stored: a whole
 * 34 MB text of 800,000 distinct values took 3.8 GB at once. A line longer
 * than a chunk is extracted whole. A value is stored once per text, at its
 * first top-level match in any chunk, and a host that some chunk names on
 * its own is stored as well, as when the whole text is extracted in one
 * pass.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest/batch.h"
#include "util/alloc.h"
#include "util/arena.h"

/* Bytes of text per extraction. Dense text lists about 6,000 matches in
 * that much, about 25 MB. */
#define CHUNK_BYTES (256 * 1024)

/* The (type, value) pairs stored so far: an open-addressing hash set whose
 * keys live in an arena. */
struct seen_set {
	struct seen_slot {
		uint64_t hash; /* 0 marks an empty slot */
		const char *key;
		size_t len;
	} *slots;
	size_t slot_count; /* a power of two */
	size_t used;
	struct arena keys;
};

static void seen_init(struct seen_set *set)
{
	set->slot_count = 1024;
	set->slots = xcalloc(set->slot_count, sizeof(*set->slots));
	set->used = 0;
	arena_init(&set->keys, 1 << 16);
}

static void seen_free(struct seen_set *set)
{
	free(set->slots);
	arena_free(&set->keys);
}

static struct seen_slot *seen_slot(struct seen_slot *slots, size_t count, uint64_t hash,
				   const char *key, size_t len)
{
	size_t i = (size_t)hash & (count - 1);

	while (slots[i].hash && !(slots[i].hash == hash && slots[i].len == len &&
				  memcmp(slots[i].key, key, len) == 0))
		i = (i + 1) & (count - 1);
	return &slots[i];
}

/* Adds the value and returns true, or returns false when the set contains it. */
static bool seen_add(struct seen_set *set, const struct ioc *ioc)
{
	uint64_t hash = store_linked_ids_hash(ioc->type, ioc->value, ioc->value_len);
	char key[IOC_VALUE_MAX + 1];
	size_t len = ioc->value_len + 1;
	struct seen_slot *slot;

	/* The key is the type byte followed by the value. */
	key[0] = (char)ioc->type;
	memcpy(key + 1, ioc->value, ioc->value_len);
	if ((set->used + 1) * 2 > set->slot_count) {
		size_t count = set->slot_count * 2;
		struct seen_slot *slots = xcalloc(count, sizeof(*slots));

		for (size_t i = 0; i < set->slot_count; i++) {
			const struct seen_slot *old = &set->slots[i];

			if (old->hash)
				*seen_slot(slots, count, old->hash, old->key, old->len) = *old;
		}
		free(set->slots);
		set->slots = slots;
		set->slot_count = count;
	}
	slot = seen_slot(set->slots, set->slot_count, hash, key, len);
	if (slot->hash)
		return false;
	slot->hash = hash;
	slot->key = arena_strndup(&set->keys, key, len);
	slot->len = len;
	set->used++;
	return true;
}

/* Returns the end of the chunk that starts at from: just after the last line
 * break within CHUNK_BYTES, or else just after the first one beyond, or the
 * end of the text. A cut anywhere else could split a value, or "ASN 13335",
 * which spans a space. */
static size_t chunk_end(const char *data, size_t len, size_t from)
{
	size_t limit = len - from > CHUNK_BYTES ? from + CHUNK_BYTES : len;
	const char *next;

	if (limit == len)
		return len;
	for (size_t i = limit; i > from; i--) {
		if (data[i - 1] == '\n')
			return i;
	}
	next = memchr(data + limit, '\n', len - limit);
	return next ? (size_t)(next - data) + 1 : len;
}

enum ch_code ingest_text(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err)
{
	struct ioc_match_list matches;
	struct seen_set seen;
	enum ch_code rc = CH_OK;
	size_t pos = 0;

	seen_init(&seen);
	ioc_match_list_init(&matches);
	while (pos < len && rc == CH_OK) {
		size_t end = chunk_end(data, len, pos);

		matches.count = 0;
		rc = ioc_extract(data + pos, end - pos, run->opt->warnlists, &matches, err);
		for (size_t i = 0; rc == CH_OK && i < matches.count; i++) {
			if (matches.items[i].parent >= 0 || !seen_add(&seen, &matches.items[i].ioc))
				continue;
			rc = batch_add(run, &matches.items[i].ioc, err);
		}
		pos = end;
		run->pos = pos;
		run_release_input(run, pos);
		if (rc == CH_OK && run->opt->on_progress_cb)
			run->opt->on_progress_cb(run->opt->ctx, pos, len);
		if (rc == CH_OK && pos < len && run_stopped(run))
			rc = ch_fail(err, CH_INTERRUPTED, "ingest of %s interrupted at byte %zu",
				     run->name, pos);
	}
	ioc_match_list_free(&matches);
	seen_free(&seen);
	return rc;
}
