/* `rampart`: the small front of rampart-core (the same directory).
 *
 * Commands that put processes into a container must run rampart-core only
 * as reached through a read-only mount (CVE-2019-5736, cli/main.cc
 * SealExe). rampart-core can re-execute itself from a read-only bind mount,
 * but that loads the large binary twice (0.3 ms per start, 1 ms when it was
 * dynamically linked). This front
 * clones rampart-core into a detached, read-only mount of its own
 * (open_tree + mount_setattr: a mount in no namespace, gone with the last
 * process running from it) and executes it once, from there (execveat).
 * It used to bind it in a private mount namespace, which copied every mount
 * of the host once more per start (and tore them down at exit): on a host
 * with hundreds of mounts that cost more than the rest of the start. It is
 * built without libc (raw system calls; about 10 KiB) so that it costs a
 * fraction of that.
 *
 * Every other command, and any failure to make the mount, simply executes
 * rampart-core, which then decides (it re-executes itself, or refuses with
 * one error line when it cannot seal itself either). */
#include <asm/statfs.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/mount.h>

#include "cli/launch_verbs.h"

#if !defined(__x86_64__)
#error "cli/launcher: only x86_64 has a system call stub (sys6 and _start); add one for this architecture"
#endif

static long sys6(long n, long a, long b, long c, long d, long e) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return ret;
}
#define SYS(n, a, b, c, d, e) sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

static unsigned long str_len(const char* s) {
  unsigned long n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

static void put(const char* s) { SYS(__NR_write, 2, s, str_len(s), 0, 0); }

static __attribute__((noreturn)) void fail(const char* what, const char* path, long err) {
  char num[24];
  int i = (int)sizeof num - 1;
  unsigned long e = (unsigned long)(err < 0 ? -err : err);
  num[i] = '\0';
  do {
    num[--i] = (char)('0' + e % 10);
    e /= 10;
  } while (e != 0 && i > 0);
  put("rampart: ");
  put(what);
  put(path);
  put(": errno ");
  put(num + i);
  put("\n");
  SYS(__NR_exit_group, 125, 0, 0, 0, 0);
  __builtin_unreachable();
}

static int on_read_only_mount(const char* path) {
  struct statfs st;
  return SYS(__NR_statfs, path, &st, 0, 0, 0) == 0 && (st.f_flags & 1 /* ST_RDONLY */) != 0;
}

__attribute__((noreturn, used)) void launcher_main(long* sp) {
  const int argc = (int)sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  static const char kCore[] = "rampart-core";
  char core[4096];
  long n = SYS(__NR_readlink, "/proc/self/exe", core, sizeof core - sizeof kCore, 0, 0);
  if (n <= 0) fail("cannot read ", "/proc/self/exe", n);
  while (n > 0 && core[n - 1] != '/') --n;
  for (unsigned long i = 0; i < sizeof kCore; ++i) core[n + (long)i] = kCore[i];

  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
  long sealed = -1;
  if (rampart_launches_into_container(argc, argv) && !on_read_only_mount(core)) {
    sealed = SYS(__NR_open_tree, AT_FDCWD, core, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, 0, 0);
    if (sealed >= 0 && SYS(__NR_mount_setattr, sealed, "", AT_EMPTY_PATH, &ro, sizeof ro) != 0) {
      SYS(__NR_close, sealed, 0, 0, 0, 0);
      sealed = -1;
    }
  }
  if (sealed >= 0) {
    static char marker[] = RAMPART_SEALED_ENV "=" RAMPART_SEALED_BY_FRONT;
    const unsigned long prefix = sizeof RAMPART_SEALED_ENV; /* "NAME=" */
    unsigned long count = 0;
    while (envp[count] != 0) ++count;
    char** env = __builtin_alloca((count + 2) * sizeof(char*));
    unsigned long k = 0;
    for (unsigned long i = 0; i < count; ++i) {
      unsigned long j = 0;
      while (j < prefix && envp[i][j] == marker[j]) ++j;
      if (j != prefix) env[k++] = envp[i]; /* drop any marker already there */
    }
    env[k++] = marker;
    env[k] = 0;
    long rc = SYS(__NR_execveat, sealed, "", argv, env, AT_EMPTY_PATH);
    fail("cannot execute ", core, rc);
  }
  long rc = SYS(__NR_execve, core, argv, envp, 0, 0);
  fail("cannot execute ", core, rc);
}

/* The kernel enters here: argc at the stack pointer, then argv, envp. */
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile(
      "xor %ebp, %ebp\n"
      "mov %rsp, %rdi\n"
      "and $-16, %rsp\n"
      "call launcher_main\n"
      "hlt\n");
}
