// Checks shared by the fuzz targets: a property that fails prints what was
// wrong and aborts, so libFuzzer keeps the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/result.h"
#include "security/profile_parser.h"
#include "security/seccomp_formats.h"
#include "security/resolver.h"

namespace rampart::fuzz {

[[noreturn]] inline void Fail(const std::string& what, std::string_view detail) {
  std::fprintf(stderr, "rampart fuzz property failed: %s\n%.*s\n", what.c_str(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// The loader every target shares: shipped profiles and groups only, no
// search directories, so resolving never reads a file.
inline const security::ProfileLoader& Loader() {
  static const security::ProfileLoader* loader = [] {
    auto l = security::ProfileLoader::Create();
    if (!l) Fail("ProfileLoader::Create", l.error().message());
    return new security::ProfileLoader(std::move(*l));
  }();
  return *loader;
}

// An error must say something and name the input it is about.
inline void CheckError(const Error& e, const std::string& file, std::string_view input) {
  if (e.message().empty()) Fail("empty error message", input);
  if (!e.message().starts_with(file))
    Fail("error does not name '" + file + "': " + e.message(), input);
}

// `extends` values that the resolver would open as files (resolver.cc,
// LooksLikePath): the fuzzer must not read the host's files.
inline bool ExtendsReadsFile(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml") ||
         ref.ends_with(".json");
}

// What an importer wrote must be a profile rampart takes: it parses, and
// (security/seccomp_formats.h: "the result must resolve and compile")
// resolves. The failing YAML is printed; the crash input is the foreign text.
inline void CheckImported(const std::string& yaml) {
  auto profile = security::ParseProfile(yaml, "imported.yaml");
  if (!profile) Fail("imported profile does not parse: " + profile.error().message(), yaml);
  if (profile->extends && ExtendsReadsFile(profile->extends->value)) return;
  auto policy = Loader().LoadText(yaml, "imported.yaml");
  if (!policy) Fail("imported profile does not resolve: " + policy.error().message(), yaml);
}

// One importer fuzz input: an error must be well formed, a success must
// give a profile rampart takes.
inline int FuzzImport(security::ForeignFormat format, const std::string& file, const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Loader();  // built once, outside the first input's time
  auto yaml = security::ImportSeccompProfile(format, text, file);
  if (!yaml) {
    CheckError(yaml.error(), file, text);
    return 0;
  }
  CheckImported(*yaml);
  return 0;
}

}  // namespace rampart::fuzz
