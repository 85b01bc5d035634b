// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The traced process (record/target.h). A launched program is started with PTRACE_TRACEME:
 * the kernel stops it with SIGTRAP right after a successful execve, before the new image runs
 * a single instruction; the recorder attaches its uprobes (and reads the load bias from
 * /proc/PID/maps) and then detaches, which lets it run. ptrace is used for nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/target.h"
#include "util/err.h"

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void set_comm(struct rec_target *t, const char *path)
{
	const char *slash = strrchr(path, '/');

	snprintf(t->comm, sizeof(t->comm), "%.63s", slash ? slash + 1 : path);
}

static void join_args(struct rec_target *t, char *const argv[])
{
	size_t len = 0;

	t->cmdline[0] = '\0';
	for (int i = 0; argv[i] && len < sizeof(t->cmdline) - 1; i++)
		len += (size_t)snprintf(t->cmdline + len, sizeof(t->cmdline) - len, "%s%s",
					i ? " " : "", argv[i]);
}

static bool executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int rec_target__resolve(struct rec_target *t, char *const argv[])
{
	const char *name = argv[0], *path;
	char buf[PATH_MAX];

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	t->cpu_ns = -1;
	if (!name || !*name)
		return xg_error(-EINVAL, "no program given");
	if (strchr(name, '/')) {
		if (!executable(name))
			return xg_error(-errno ? -errno : -EACCES, "%s: %s", name,
					strerror(errno ? errno : EACCES));
		snprintf(t->exe, sizeof(t->exe), "%s", name);
	} else {
		path = getenv("PATH");
		if (!path)
			path = "/usr/local/bin:/usr/bin:/bin";
		while (*path) {
			const char *end = strchrnul(path, ':');
			int n = (int)(end - path);

			snprintf(buf, sizeof(buf), "%.*s%s%s", n, path, n ? "/" : "", name);
			if (executable(buf)) {
				snprintf(t->exe, sizeof(t->exe), "%s", buf);
				break;
			}
			path = *end ? end + 1 : end;
		}
		if (!t->exe[0])
			return xg_error(-ENOENT, "%s: not found in PATH", name);
	}
	set_comm(t, t->exe);
	/* an absolute path in the metadata, so a trace or bundle made elsewhere still finds it */
	if (!realpath(t->exe, t->exe_path))
		snprintf(t->exe_path, sizeof(t->exe_path), "%s", t->exe);
	join_args(t, argv);
	return 0;
}

/* rec_target__launch: where the child failed */
enum {
	LAUNCH_PTRACE,
	LAUNCH_EXEC,
	LAUNCH_OUTPUT,
};

int rec_target__launch(struct rec_target *t, char *const argv[], int out_fd)
{
	int pipefd[2], child[2] = {0, 0}, status; /* the child's failure: {stage, errno} */
	sigset_t all;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return xg_error(-errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return xg_error(err, "fork: %s", strerror(-err));
	}
	if (pid == 0) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		close(pipefd[0]);
		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* dup2 leaves the copies open across the exec (out_fd itself is O_CLOEXEC) */
		if (out_fd >= 0 &&
		    (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0))
			child[0] = LAUNCH_OUTPUT;
		else if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0) {
			execv(t->exe, argv);
			child[0] = LAUNCH_EXEC;
		}
		child[1] = errno;
		if (write(pipefd[1], child, sizeof(child)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], child, sizeof(child));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(child)) {
		waitpid(pid, &status, 0);
		if (child[0] == LAUNCH_PTRACE) /* xgotop itself is traced (a debugger, strace -f) */
			return xg_error(-child[1], "%s: cannot stop it at its start: ptrace: %s",
					t->exe, strerror(child[1]));
		if (child[0] == LAUNCH_OUTPUT)
			return xg_error(-child[1], "%s: cannot redirect its output: %s", t->exe,
					strerror(child[1]));
		return xg_error(-child[1], "%s: %s", t->exe, strerror(child[1]));
	}
	/* the exec succeeded: the child stops with SIGTRAP before its first instruction */
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return xg_error(-ECHILD, "%s: did not stop at its exec", t->exe);
	}
	t->pid = pid;
	t->launched = true;
	t->stopped = true;
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0) {
		int err = -errno;

		rec_target__stop(t, 0);
		return xg_error(err, "pidfd_open(%d): %s", pid, strerror(-err));
	}
	return 0;
}

int rec_target__resume(struct rec_target *t)
{
	if (!t->launched || !t->stopped)
		return 0;
	if (ptrace(PTRACE_DETACH, t->pid, NULL, NULL))
		return xg_error(-errno, "ptrace(PTRACE_DETACH, %d): %s", t->pid, strerror(errno));
	t->stopped = false;
	return 0;
}

int rec_target__attach(struct rec_target *t, pid_t pid)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	memset(t, 0, sizeof(*t));
	t->cpu_ns = -1;
	t->pid = pid;
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0)
		return xg_error(-errno, "process %d: %s", pid, strerror(errno));
	snprintf(t->exe, sizeof(t->exe), "/proc/%d/exe", pid);
	n = readlink(t->exe, buf, sizeof(buf) - 1);
	if (n < 0) {
		int err = -errno;

		close(t->pidfd);
		t->pidfd = -1;
		return xg_error(err, "%s: %s", t->exe, strerror(-err));
	}
	buf[n] = '\0';
	set_comm(t, buf);
	snprintf(t->exe_path, sizeof(t->exe_path), "%s", buf);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, t->cmdline, sizeof(t->cmdline) - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!t->cmdline[i])
				t->cmdline[i] = ' ';
		while (n > 0 && t->cmdline[n - 1] == ' ')
			n--;
		t->cmdline[n > 0 ? n : 0] = '\0';
	}
	return 0;
}

bool rec_target__poll_exit(struct rec_target *t)
{
	struct pollfd pfd = {.fd = t->pidfd, .events = POLLIN};
	struct rusage ru;
	int status;

	if (t->exited)
		return true;
	if (!t->launched) {
		/* not our child: its pidfd turns readable once it is gone */
		if (t->pidfd >= 0 && poll(&pfd, 1, 0) > 0)
			t->exited = true;
		return t->exited;
	}
	if (wait4(t->pid, &status, WNOHANG, &ru) == t->pid) {
		t->exited = true;
		t->status = status;
		t->cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
			    ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
	}
	return t->exited;
}

void rec_target__stop(struct rec_target *t, int grace_ms)
{
	if (!t->launched || t->exited || t->pid <= 0)
		return;
	if (t->stopped) {
		kill(t->pid, SIGKILL);
		ptrace(PTRACE_DETACH, t->pid, NULL, NULL);
		t->stopped = false;
	} else {
		kill(t->pid, SIGTERM);
	}
	for (int waited = 0; waited < grace_ms; waited += 10) {
		if (rec_target__poll_exit(t))
			return;
		usleep(10000);
	}
	kill(t->pid, SIGKILL);
	while (!rec_target__poll_exit(t))
		usleep(1000);
}

const char *rec_target__describe(const struct rec_target *t, char *buf, size_t len)
{
	if (!t->exited)
		snprintf(buf, len, "is still running");
	else if (!t->launched)
		snprintf(buf, len, "exited");
	else if (WIFEXITED(t->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(t->status));
	else if (WIFSIGNALED(t->status) && sigabbrev_np(WTERMSIG(t->status)))
		snprintf(buf, len, "was killed by SIG%s%s", sigabbrev_np(WTERMSIG(t->status)),
			 WCOREDUMP(t->status) ? " (core dumped)" : "");
	else if (WIFSIGNALED(t->status))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(t->status));
	else
		snprintf(buf, len, "ended");
	return buf;
}

void rec_target__close(struct rec_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
