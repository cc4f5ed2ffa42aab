/* Placeholder until ctihub explain lands. */
#include "cli/cli.h"

int cmd_explain(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
