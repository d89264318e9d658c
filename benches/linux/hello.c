/*
 * The native baseline's smoke test (native::smoke_test): prints a line and
 * its arguments, then exits with status 3.  With the single argument `kill`
 * it kills itself with SIGKILL instead (status 137 in shell encoding).
 */
#include "sys.h"

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc == 2 && argv[1][0] == 'k' && argv[1][1] == 'i' && argv[1][2] == 'l' && argv[1][3] == 'l' && !argv[1][4])
		sys2(SYS_kill, sys0(SYS_getpid), 9);
	put("hello from a freestanding i486 program\nargs:");
	for (int i = 1; i < argc; i++) {
		put(" ");
		put(argv[i]);
	}
	put("\n");
	return 3;
}
