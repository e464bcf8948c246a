// SPDX-License-Identifier: GPL-2.0
/*
 * A "test" that hangs, with a child that hangs too: the rig must time it
 * out, kill both, and go on with the next test.
 */
#include <unistd.h>

int main(void)
{
	if (fork() == 0)
		for (;;)
			pause();
	for (;;)
		pause();
}
