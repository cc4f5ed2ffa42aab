/*
 * libFuzzer target for ioc_parse: any bytes must give either CH_OK with a
 * NUL-terminated canonical value or CH_INVALID with a message, and never
 * crash. A parsed value must parse again to itself, because canonical
 * forms are stored and compared as they are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ioc/ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc ioc;
	struct ioc again;
	struct ch_error err = { 0 };

	if (ioc_parse((const char *)data, size, NULL, &ioc, &err) != CH_OK)
		return 0;
	if (strlen(ioc.value) != ioc.value_len)
		abort();
	if (ioc_parse_as(ioc.type, ioc.value, ioc.value_len, NULL, &again, &err) != CH_OK)
		abort();
	if (again.type != ioc.type || strcmp(again.value, ioc.value) != 0)
		abort();
	return 0;
}
