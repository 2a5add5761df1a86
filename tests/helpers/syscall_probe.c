/*
 * syscall_probe: try individual system calls and print what the kernel (or a
 * seccomp filter in front of it) answered.  Used by the integration tests to
 * check what a rampart policy really allows.
 *
 *   usage: syscall_probe PROBE...
 *
 * For every PROBE one line "PROBE RESULT" is printed, where RESULT is "OK" or
 * the errno name (EPERM, ENOSYS, EXDEV, ...).  Probes that run in a forked
 * child report "KILLED:SIGNAME" if the child died from a signal (e.g. SIGSYS
 * from a kill action, SIGSEGV from int $0x80 on a kernel without IA32
 * emulation).  "status" prints the security-relevant /proc/self/status lines
 * as "status Seccomp:\t2" etc.  "exit:N" exits with code N at once.  An
 * unknown probe prints "PROBE ?" and exits with 2.
 *
 * Every probe uses syscall(2) with an explicit number, so no libc wrapper can
 * hide or rewrite errno, and every probe is harmless to the host: arguments
 * are chosen to fail validation (or to act on nothing) and probes that would
 * change the probe's own state run in a forked child.
 *
 * x86_64 only (int $0x80 probes enter the i386 syscall table).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "syscall_probe is x86_64 only"
#endif

/* Numbers missing from older (Debian 12) headers. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif

/* i386 syscall numbers, for int $0x80. */
#define I386_NR_getpid 20
#define I386_NR_unshare 310

/* Constants spelled out so the probe does not depend on kernel headers. */
#define PROBE_AF_VSOCK 40
#define PROBE_CLONE_NEWUSER 0x10000000UL
#define PROBE_PTRACE_TRACEME 0
#define PROBE_KEYCTL_GET_KEYRING_ID 0
#define PROBE_KEY_SPEC_SESSION_KEYRING (-3)
#define PROBE_BPF_PROG_LOAD 5
#define PROBE_KEXEC_SEGMENT_MAX 16

/* Result of a probe: 0 = OK, >0 = errno, <0 = -(signal that killed the child). */
typedef int result_t;

static result_t from_ret(long ret) { return ret < 0 ? errno : 0; }

/* Run fn() in a forked child and return its result through a pipe. */
static result_t in_child(result_t (*fn)(void)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    perror("syscall_probe: pipe2");
    exit(3);
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("syscall_probe: fork");
    exit(3);
  }
  if (pid == 0) {
    close(fds[0]);
    result_t r = fn();
    ssize_t n = write(fds[1], &r, sizeof r);
    _exit(n == (ssize_t)sizeof r ? 0 : 1);
  }
  close(fds[1]);
  result_t r = 0;
  ssize_t n;
  do {
    n = read(fds[0], &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("syscall_probe: waitpid");
      exit(3);
    }
  }
  if (n == (ssize_t)sizeof r) return r;
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  fprintf(stderr, "syscall_probe: child reported nothing (status 0x%x)\n", status);
  exit(3);
}

/* i386 system call from 64-bit code.  The kernel zeroes r8-r11 on return. */
static long int80(long nr, long a1) {
  long ret = nr;
  __asm__ volatile("int $0x80" : "+a"(ret) : "b"(a1) : "r8", "r9", "r10", "r11", "memory", "cc");
  return (long)(int)ret; /* 32-bit result, sign-extend */
}

static result_t from_int80(long ret) { return ret < 0 && ret > -4096 ? (result_t)-ret : 0; }

/* ---- probes ----------------------------------------------------------- */

static result_t p_getpid(void) { return from_ret(syscall(SYS_getpid)); }

static result_t p_read0(void) {
  long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[1];
  result_t r = from_ret(syscall(SYS_read, (int)fd, buf, (size_t)0));
  syscall(SYS_close, (int)fd);
  return r;
}

static result_t socket_probe(int family) {
  long fd = syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  syscall(SYS_close, (int)fd);
  return 0;
}
static result_t p_socket_inet(void) { return socket_probe(AF_INET); }
static result_t p_socket_inet6(void) { return socket_probe(AF_INET6); }
static result_t p_socket_unix(void) { return socket_probe(AF_UNIX); }
static result_t socket_type_probe(int family, int type, int proto) {
  long fd = syscall(SYS_socket, family, type | SOCK_CLOEXEC, proto);
  if (fd < 0) return errno;
  syscall(SYS_close, (int)fd);
  return 0;
}
static result_t p_socket_netlink(void) { return socket_type_probe(AF_NETLINK, SOCK_RAW, 0); }
static result_t p_socket_packet(void) { return socket_type_probe(AF_PACKET, SOCK_RAW, 0); }
static result_t p_socket_inet_raw(void) { return socket_type_probe(AF_INET, SOCK_RAW, 1 /* IPPROTO_ICMP */); }

static void print_result(const char* name, result_t r);

/* tcp_bind:PORT / tcp_connect:PORT on 127.0.0.1 (the caller's own network
   namespace): "OK", or the errno (EACCES from Landlock, ECONNREFUSED when
   connect was allowed and nobody listens). */
static void print_tcp(const char* what, const char* port_text, int connect_it) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)atoi(port_text));
  a.sin_addr.s_addr = htonl(0x7f000001);
  result_t r;
  long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r = errno;
  } else {
    long ret = connect_it ? syscall(SYS_connect, (int)fd, &a, sizeof a) : syscall(SYS_bind, (int)fd, &a, sizeof a);
    r = ret < 0 ? errno : 0;
    syscall(SYS_close, (int)fd);
  }
  char name[64];
  snprintf(name, sizeof name, "%s:%s", what, port_text);
  print_result(name, r);
}
static result_t p_socket_vsock(void) { return socket_probe(PROBE_AF_VSOCK); }

static result_t p_mount(void) {
  return from_ret(syscall(SYS_mount, "none", "/nonexistent-rampart", "tmpfs", 0UL, NULL));
}

static result_t c_unshare_user(void) { return from_ret(syscall(SYS_unshare, PROBE_CLONE_NEWUSER)); }
static result_t p_unshare_user(void) { return in_child(c_unshare_user); }

static result_t c_ptrace_traceme(void) {
  return from_ret(syscall(SYS_ptrace, PROBE_PTRACE_TRACEME, 0, NULL, NULL));
}
static result_t p_ptrace_traceme(void) { return in_child(c_ptrace_traceme); }

/* nr_segments above KEXEC_SEGMENT_MAX: the kernel checks CAP_SYS_BOOT first
 * (EPERM) and then rejects the count (EINVAL).  kexec_load(0, 0, NULL, 0)
 * would instead UNLOAD a loaded kexec image, so it is not used. */
static result_t p_kexec_load(void) {
  return from_ret(
      syscall(SYS_kexec_load, 0UL, (unsigned long)(PROBE_KEXEC_SEGMENT_MAX + 1), NULL, 0UL));
}

static result_t p_open_by_handle_at(void) {
  struct {
    unsigned int handle_bytes;
    int handle_type;
    unsigned char f_handle[8];
  } fh;
  memset(&fh, 0, sizeof fh);
  fh.handle_bytes = 8;
  long fd = syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  syscall(SYS_close, (int)fd);
  return 0;
}

static result_t p_keyctl(void) {
  return from_ret(
      syscall(SYS_keyctl, PROBE_KEYCTL_GET_KEYRING_ID, PROBE_KEY_SPEC_SESSION_KEYRING, 0));
}

/* BPF_PROG_LOAD with an empty attr: prog type 0 and no instructions. */
static result_t p_bpf(void) { return from_ret(syscall(SYS_bpf, PROBE_BPF_PROG_LOAD, NULL, 0U)); }

static result_t p_cachestat(void) { return from_ret(syscall(__NR_cachestat, -1, NULL, NULL, 0U)); }

static result_t c_int80_unshare_user(void) {
  return from_int80(int80(I386_NR_unshare, (long)PROBE_CLONE_NEWUSER));
}
static result_t p_int80_unshare_user(void) { return in_child(c_int80_unshare_user); }

static result_t c_int80_getpid(void) { return from_int80(int80(I386_NR_getpid, 0)); }
/* In a child too: without IA32 emulation int $0x80 raises SIGSEGV. */
static result_t p_int80_getpid(void) { return in_child(c_int80_getpid); }

/* Wait for a clone()d child; the probe itself is unchanged either way. */
static result_t reap(long pid) {
  int status;
  while (waitpid((pid_t)pid, &status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

/* Raw clone, fork-like (no new stack, no CLONE_VM): the new user namespace
 * belongs only to the new child, which exits at once. */
static result_t p_clone_newuser(void) {
  fflush(NULL);
  long pid = syscall(SYS_clone, PROBE_CLONE_NEWUSER | SIGCHLD, 0UL, NULL, NULL, 0UL);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  return reap(pid);
}

static result_t p_clone3(void) {
  uint64_t args[11]; /* struct clone_args, CLONE_ARGS_SIZE_VER2 == 88 bytes */
  memset(args, 0, sizeof args);
  args[4] = SIGCHLD; /* exit_signal */
  fflush(NULL);
  long pid = syscall(__NR_clone3, args, sizeof args);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  return reap(pid);
}

/* ---- driver ----------------------------------------------------------- */

static void print_result(const char* name, result_t r) {
  if (r == 0) {
    printf("%s OK\n", name);
  } else if (r < 0) {
    const char* sig = sigabbrev_np(-r);
    if (sig)
      printf("%s KILLED:SIG%s\n", name, sig);
    else
      printf("%s KILLED:%d\n", name, -r);
  } else {
    const char* e = strerrorname_np(r);
    if (e)
      printf("%s %s\n", name, e);
    else
      printf("%s E%d\n", name, r);
  }
}

static void print_status(void) {
  static const char* const keys[] = {
      "Seccomp:", "NoNewPrivs:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) {
    printf("status %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
    return;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      size_t n = strlen(keys[i]);
      if (strncmp(line, keys[i], n) == 0) {
        line[strcspn(line, "\n")] = '\0';
        printf("status %s\n", line);
        break;
      }
    }
  }
  fclose(f);
}

/* Container observations: pid, open fds, umount, writes, a fork bomb. */
static result_t p_umount(void) { return from_ret(syscall(SYS_umount2, "/proc", 2 /* MNT_DETACH */)); }

static void print_fds(void) {
  /* Every fd other than 0-2 and the one this scan opens. */
  char list[512] = "";
  DIR* d = opendir("/proc/self/fd");
  if (!d) {
    printf("fds %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
    return;
  }
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(d)) continue;
    size_t n = strlen(list);
    snprintf(list + n, sizeof list - n, "%s%d", n ? "," : "", fd);
  }
  closedir(d);
  printf("fds %s\n", list[0] ? list : "none");
}

static void print_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  int r = 0;
  if (fd < 0) {
    r = errno;
  } else {
    if (write(fd, "1", 1) < 0) r = errno;
    close(fd);
  }
  printf("write:%s %s\n", path, r == 0 ? "OK" : (strerrorname_np(r) ? strerrorname_np(r) : "E?"));
}

/* Forks children that sleep until `limit` or the first failure; reports how
   many were created and the error, then kills them all. */
static void print_forkbomb(long limit) {
  pid_t* pids = calloc((size_t)limit, sizeof(pid_t));
  long n = 0;
  int err = 0;
  for (; n < limit; n++) {
    pid_t p = fork();
    if (p < 0) {
      err = errno;
      break;
    }
    if (p == 0) {
      pause();
      _exit(0);
    }
    pids[n] = p;
  }
  for (long i = 0; i < n; i++) kill(pids[i], SIGKILL);
  for (long i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
  free(pids);
  printf("forkbomb %ld %s\n", n, err ? (strerrorname_np(err) ? strerrorname_np(err) : "E?") : "OK");
}

struct probe {
  const char* name;
  result_t (*fn)(void);
};

static const struct probe probes[] = {
    {"getpid", p_getpid},
    {"read0", p_read0},
    {"socket_inet", p_socket_inet},
    {"socket_vsock", p_socket_vsock},
    {"socket_inet6", p_socket_inet6},
    {"socket_unix", p_socket_unix},
    {"socket_netlink", p_socket_netlink},
    {"socket_packet", p_socket_packet},
    {"socket_inet_raw", p_socket_inet_raw},
    {"mount", p_mount},
    {"unshare_user", p_unshare_user},
    {"ptrace_traceme", p_ptrace_traceme},
    {"kexec_load", p_kexec_load},
    {"open_by_handle_at", p_open_by_handle_at},
    {"keyctl", p_keyctl},
    {"bpf", p_bpf},
    {"cachestat", p_cachestat},
    {"int80_unshare_user", p_int80_unshare_user},
    {"int80_getpid", p_int80_getpid},
    {"clone_newuser", p_clone_newuser},
    {"clone3", p_clone3},
    {"umount", p_umount},
};

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROBE...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    const char* name = argv[i];
    if (strcmp(name, "status") == 0) {
      print_status();
      continue;
    }
    if (strcmp(name, "pid") == 0) {
      printf("pid %d\n", (int)getpid());
      continue;
    }
    if (strcmp(name, "fds") == 0) {
      print_fds();
      continue;
    }
    if (strncmp(name, "write:", 6) == 0) {
      print_write(name + 6);
      continue;
    }
    if (strncmp(name, "tcp_bind:", 9) == 0 || strncmp(name, "tcp_connect:", 12) == 0) {
      int is_connect = name[4] == 'c';
      print_tcp(is_connect ? "tcp_connect" : "tcp_bind", name + (is_connect ? 12 : 9), is_connect);
      continue;
    }
    if (strncmp(name, "forkbomb:", 9) == 0) {
      print_forkbomb(atol(name + 9));
      continue;
    }
    if (strncmp(name, "exit:", 5) == 0) {
      char* end;
      long code = strtol(name + 5, &end, 10);
      if (name[5] != '\0' && *end == '\0') {
        fflush(NULL);
        _exit((int)code);
      }
    }
    const struct probe* p = NULL;
    for (size_t j = 0; j < sizeof probes / sizeof probes[0]; j++) {
      if (strcmp(name, probes[j].name) == 0) {
        p = &probes[j];
        break;
      }
    }
    if (!p) {
      printf("%s ?\n", name);
      fflush(NULL);
      return 2;
    }
    errno = 0;
    print_result(name, p->fn());
  }
  fflush(NULL);
  return 0;
}
