/*
 * MISP warning lists: lists of well-known, benign values (public DNS
 * resolvers, popular domains, known-good COVID-19 sites) loaded from the
 * JSON files published by the MISP project. A value on a list is kept and
 * flagged with IOC_WARN_WARNINGLIST, never rejected.
 *
 * Supported list types: "string" (exact match), "hostname" (the name or any
 * subdomain of it), "cidr" (IPv4 or IPv6 prefix), "substring" and "regex".
 *
 * Ownership: ioc_warnlists_new returns an owned set; ioc_warnlists_free(NULL)
 * is a no-op. Lookups are read-only and safe from several threads.
 */
#ifndef CTIHUB_IOC_WARNLIST_H
#define CTIHUB_IOC_WARNLIST_H

#include <stddef.h>

#include "ioc/ioc.h"
#include "util/error.h"

struct ioc_warnlists *ioc_warnlists_new(void);
void ioc_warnlists_free(struct ioc_warnlists *wl);

/* Loads one MISP warninglist JSON file (its "name", "type" and "list"). */
enum ch_code ioc_warnlists_load_file(struct ioc_warnlists *wl, const char *path,
				     struct ch_error *err);
/* Loads every *.json file under a directory, recursively. */
enum ch_code ioc_warnlists_load_dir(struct ioc_warnlists *wl, const char *dir,
				    struct ch_error *err);
size_t ioc_warnlists_count(const struct ioc_warnlists *wl);

/* Returns the name of the first list that contains the canonical
 * indicator, or NULL when none does. The cost does not grow with the number
 * of entries, except for regex entries that cannot join the alternation
 * (back-references, an unmatched ')') and for a value that matches a regex
 * entry, which is then tested against the entries one by one. */
const char *ioc_warnlists_match(const struct ioc_warnlists *wl, const struct ioc *ioc);
/* Returns what ioc_warnlists_match returns, but tests every entry of the
 * substring and regex lists one by one, as ctihub did before those lists
 * were indexed. It is the reference for tests and the baseline of
 * bench/warnlist; callers that only need the result use
 * ioc_warnlists_match. */
const char *ioc_warnlists_match_scan(const struct ioc_warnlists *wl, const struct ioc *ioc);

#endif
