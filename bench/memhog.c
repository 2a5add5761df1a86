// memhog: the payload of checkpoint_bench. Maps N MiB of anonymous memory,
// writes a non-zero pattern to every byte of it (so that every page is
// present and dumped by CRIU), prints "ready" on stdout and then sleeps in
// pause() until killed. Built static: it runs in a busybox rootfs (no libc
// there) and in the bare rootfs of the raw CRIU side.
//
// Usage: memhog MIB
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    static const char usage[] = "usage: memhog MIB\n";
    (void)!write(2, usage, sizeof usage - 1);
    return 2;
  }
  char* end = NULL;
  unsigned long mib = strtoul(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || mib == 0 || mib > (1UL << 20)) {
    static const char bad[] = "memhog: MIB must be a positive number\n";
    (void)!write(2, bad, sizeof bad - 1);
    return 2;
  }
  size_t bytes = (size_t)mib << 20;
  uint64_t* mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    static const char nomem[] = "memhog: mmap failed\n";
    (void)!write(2, nomem, sizeof nomem - 1);
    return 1;
  }
  // Every 8-byte word differs from its neighbours and is never zero.
  for (size_t i = 0; i < bytes / sizeof(uint64_t); ++i) mem[i] = (i * 0x9e3779b97f4a7c15ULL) | 1;
  static const char ready[] = "ready\n";
  if (write(1, ready, sizeof ready - 1) != (ssize_t)(sizeof ready - 1)) return 1;
  for (;;) pause();
}
