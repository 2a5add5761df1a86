/*
 * learn_workload: a small, deterministic program for the `rampart policy
 * learn` integration tests (tests/integration/learn_test.cc).
 *
 *   learn_workload work DIR   write DIR/data.txt, read it back, list DIR,
 *                             run a TCP echo over 127.0.0.1 between a
 *                             forked child and a thread of the parent, and
 *                             print what happened (the same lines every run)
 *   learn_workload try NAME   make one syscall the "work" mode never makes
 *                             (getcpu, getpid, sched_getaffinity), or
 *                             socket_unix (socket with a family "work"
 *                             never uses), and print
 *                             "NAME OK" or "NAME <errno name>"
 *
 * "work" needs a network namespace whose loopback is up (the tests run it
 * under `unshare -n` after `ip link set lo up`): it never touches any other
 * address. Exit code 0 on success, 1 (with a message on stderr) otherwise.
 *
 * Every syscall is made through libc or syscall(2) with an explicit number;
 * getcpu, getpid and sched_getaffinity are deliberately never used by "work".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const char* what) {
  fprintf(stderr, "learn_workload: %s: %s\n", what, strerror(errno));
  exit(1);
}

static const char* errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    default: return "EOTHER";
  }
}

static int try_syscall(const char* name) {
  long r;
  if (strcmp(name, "getcpu") == 0) {
    unsigned cpu = 0, node = 0;
    r = syscall(SYS_getcpu, &cpu, &node, NULL);
  } else if (strcmp(name, "getpid") == 0) {
    r = syscall(SYS_getpid);
  } else if (strcmp(name, "sched_getaffinity") == 0) {
    unsigned long mask[16];
    r = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
  } else if (strcmp(name, "socket_unix") == 0) {
    /* socket itself is used by "work", but only for AF_INET streams. */
    r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r >= 0) close((int)r);
  } else {
    fprintf(stderr, "learn_workload: unknown syscall %s\n", name);
    return 2;
  }
  printf("%s %s\n", name, r < 0 ? errno_name(errno) : "OK");
  return 0;
}

/* The server side runs in a thread of the parent: accept one connection,
 * read "ping", answer "pong". */
struct server {
  int listen_fd;
  int ok;
};

static void* serve(void* arg) {
  struct server* s = arg;
  int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return NULL;
  char buf[8] = {0};
  ssize_t n = read(c, buf, 4);
  if (n == 4 && memcmp(buf, "ping", 4) == 0 && write(c, "pong", 4) == 4) s->ok = 1;
  close(c);
  return NULL;
}

static int work(const char* dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data.txt", dir);
  const char text[] = "learned by rampart\n";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("open for writing");
  if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) die("write");
  if (close(fd) != 0) die("close");
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open for reading");
  char back[64] = {0};
  ssize_t got = read(fd, back, sizeof back - 1);
  if (got < 0) die("read");
  close(fd);
  struct stat st;
  if (stat(path, &st) != 0) die("stat");
  DIR* d = opendir(dir);
  if (!d) die("opendir");
  int entries = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, "data.txt") == 0) ++entries;
  closedir(d);
  printf("file: wrote %zu bytes, read back %zd, size %lld, listed %d\n", sizeof text - 1, got,
         (long long)st.st_size, entries);

  /* TCP over loopback: the listener in this process, served by a thread;
   * the client in a forked child. */
  struct server s = {socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0};
  if (s.listen_fd < 0) die("socket");
  int one = 1;
  if (setsockopt(s.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) die("setsockopt");
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s.listen_fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind 127.0.0.1");
  socklen_t len = sizeof addr;
  if (getsockname(s.listen_fd, (struct sockaddr*)&addr, &len) != 0) die("getsockname");
  if (listen(s.listen_fd, 1) != 0) die("listen");
  /* pthread_join below waits on a futex only if the thread has not exited
   * yet, which is a race: one futex call on every run, so that a profile
   * learned from a run where the thread won still allows the wait. */
  int futex_word = 0;
  if (syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0) die("futex");
  pthread_t thread;
  if ((errno = pthread_create(&thread, NULL, serve, &s)) != 0) die("pthread_create");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) _exit(10);
    if (connect(c, (struct sockaddr*)&addr, sizeof addr) != 0) _exit(11);
    if (write(c, "ping", 4) != 4) _exit(12);
    char buf[8] = {0};
    if (read(c, buf, 4) != 4 || memcmp(buf, "pong", 4) != 0) _exit(13);
    _exit(0);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  if ((errno = pthread_join(thread, NULL)) != 0) die("pthread_join");
  close(s.listen_fd);
  printf("tcp: client %s, server %s\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "got pong" : "failed", s.ok ? "got ping" : "failed");
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || !s.ok) {
    fprintf(stderr, "learn_workload: tcp exchange failed (client status 0x%x)\n", status);
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "work") == 0) return work(argv[2]);
  if (argc == 3 && strcmp(argv[1], "try") == 0) return try_syscall(argv[2]);
  fprintf(stderr, "usage: learn_workload work DIR | try getcpu|getpid|sched_getaffinity|socket_unix\n");
  return 2;
}
