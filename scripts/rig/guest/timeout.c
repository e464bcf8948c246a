// SPDX-License-Identifier: GPL-2.0
/*
 * /usr/bin/timeout for the rig's initramfs, in place of busybox's, which
 * lacks the --foreground option that kselftest/runner.sh passes.
 *
 *   timeout [--foreground] [-k SECS] [-s SIG] SECS CMD [ARGS...]
 *
 * runner.sh nests two calls (timeout --foreground T timeout T cmd); the inner
 * one is folded into the outer. CMD runs in a session of its own, and the
 * whole session is killed on timeout (SIGTERM, then SIGKILL 5 s later) and
 * after CMD exits, so that a test's leftovers never starve the next test.
 * Exit status: CMD's, 128+N if CMD died of signal N, 124 on timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static int parse_secs(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || (*end && strcmp(end, "s")) || v <= 0 || v > 86400) {
		fprintf(stderr, "timeout: bad duration '%s'\n", s);
		exit(125);
	}
	return (int)v;
}

static int is_timeout(const char *path)
{
	const char *b = strrchr(path, '/');

	return !strcmp(b ? b + 1 : path, "timeout");
}

int main(int argc, char **argv)
{
	int i = 1, secs = 0, status, s;
	struct sigaction sa;
	pid_t pid, w;

	for (;;) {
		while (i < argc && argv[i][0] == '-') {
			if (!strcmp(argv[i], "--foreground"))
				i++;
			else if ((!strcmp(argv[i], "-k") || !strcmp(argv[i], "-s")) && i + 1 < argc)
				i += 2;
			else {
				fprintf(stderr, "timeout: unknown option '%s'\n", argv[i]);
				return 125;
			}
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "usage: timeout [--foreground] SECS CMD [ARGS...]\n");
			return 125;
		}
		s = parse_secs(argv[i++]);
		if (!secs || s < secs)
			secs = s;
		if (!is_timeout(argv[i]))
			break;
		i++;	/* nested timeout: fold into this one */
	}

	pid = fork();
	if (pid < 0) {
		perror("timeout: fork");
		return 125;
	}
	if (!pid) {
		setsid();
		execvp(argv[i], &argv[i]);
		fprintf(stderr, "timeout: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
	for (;;) {
		w = waitpid(pid, &status, 0);
		if (w == pid)
			break;
		if (w < 0 && errno == EINTR && expired == 1) {
			kill(-pid, SIGTERM);
			expired = 2;
			alarm(5);
		} else if (w < 0 && errno == EINTR && expired == 2) {
			kill(-pid, SIGKILL);
			expired = 3;
		} else if (w < 0 && errno != EINTR) {
			perror("timeout: waitpid");
			return 125;
		}
	}
	alarm(0);
	kill(-pid, SIGKILL);	/* whatever the test left behind */
	if (expired)
		return 124;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
