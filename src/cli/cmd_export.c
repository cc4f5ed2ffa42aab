/* Placeholder until ctihub export lands. */
#include "cli/cli.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
