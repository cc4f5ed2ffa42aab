/* Placeholder until the notify module lands. */
#include "cli/cli.h"

int cmd_outbox(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
