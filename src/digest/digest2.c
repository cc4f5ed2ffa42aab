/* Placeholder until audience digests land. */
#include "digest/digest2.h"
