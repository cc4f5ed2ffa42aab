/*
 * libFuzzer target for ioc_extract: any text must be scanned without a
 * crash, and every match must lie inside the text with a parent that is
 * an earlier URL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ioc/ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_match_list list;
	struct ch_error err = { 0 };

	ioc_match_list_init(&list);
	if (ioc_extract((const char *)data, size, NULL, &list, &err) != CH_OK)
		abort();
	for (size_t i = 0; i < list.count; i++) {
		const struct ioc_match *m = &list.items[i];

		if (m->start > m->end || m->end > size)
			abort();
		if (m->parent >= (long)i || (m->parent >= 0 && list.items[m->parent].ioc.type != IOC_URL))
			abort();
	}
	ioc_match_list_free(&list);
	return 0;
}
