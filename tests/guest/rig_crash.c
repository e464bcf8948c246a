// SPDX-License-Identifier: GPL-2.0
/* A "test" that crashes: the rig must report it failed and go on. */
#include <signal.h>

int main(void)
{
	raise(SIGSEGV);
	return 0;
}
