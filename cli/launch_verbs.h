/* Which rampart command lines put processes into a container. Those run
 * rampart-core only as reached through a read-only mount (CVE-2019-5736;
 * cli/main.cc SealExe). Shared by the front binary (cli/launcher/, C without
 * libc) and rampart-core (cli/main.cc), so that both decide alike. */
#ifndef RAMPART_CLI_LAUNCH_VERBS_H_
#define RAMPART_CLI_LAUNCH_VERBS_H_

static inline int rampart_str_equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

/* argv[1..argc): the first word that is not an option (or an option's
 * value) is the verb; "--" ends the search. */
static inline int rampart_launches_into_container(int argc, char* const* argv) {
  static const char* const kVerbs[] = {"run", "start", "attach", "exec", "restore", "migrate"};
  static const char* const kValued[] = {"--root", "--format", "--log-format"};
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    int valued = 0;
    if (rampart_str_equal(a, "--")) return 0;
    for (unsigned v = 0; v < sizeof kValued / sizeof kValued[0]; ++v) valued |= rampart_str_equal(a, kValued[v]);
    if (valued) {
      ++i; /* a global option's value, not the verb */
      continue;
    }
    for (unsigned v = 0; v < sizeof kVerbs / sizeof kVerbs[0]; ++v)
      if (rampart_str_equal(a, kVerbs[v])) return 1;
    if (a[0] != '-') return 0;
  }
  return 0;
}

/* Set by whoever executed rampart-core from a read-only bind mount of
 * itself: RAMPART_SEALED_BY_FRONT by the front, "1" by rampart-core's own
 * re-exec. Only a hint: rampart-core checks the mount. */
#define RAMPART_SEALED_ENV "_RAMPART_RO_EXE"
#define RAMPART_SEALED_BY_FRONT "front"

#endif
