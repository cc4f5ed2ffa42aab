/* Placeholder. */
#include "chat/verify.h"
