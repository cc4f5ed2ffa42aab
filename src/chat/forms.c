/* Placeholder until the chat forms land. */
#include "chat/forms.h"
