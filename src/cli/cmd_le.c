/* Placeholder until the referral commands land. */
#include "cli/cli.h"

int cmd_le(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
