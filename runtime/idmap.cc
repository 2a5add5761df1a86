#include "runtime/idmap.h"

#include "base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "base/strings.h"
#include "base/unique_fd.h"

namespace rampart::runtime {
namespace {

// The highest usable id: (uid_t)-1 means "no change" to chown and is never a
// valid id.
constexpr uint64_t kMaxId = 4294967294ULL;

Result<uint32_t> ParseId(std::string_view text, const std::string& what) {
  auto v = ParseUint64(Trim(text));
  if (!v || *v > kMaxId)
    return Error::Invalid(what + " '" + std::string(text) + "' is not an id (0-4294967294)");
  return static_cast<uint32_t>(*v);
}

Status CheckEnd(uint64_t start, uint64_t count, const std::string& what) {
  if (count == 0) return Error::Invalid(what + ": count must be greater than 0");
  if (start + count - 1 > kMaxId) return Error::Invalid(what + ": range runs past id 4294967294");
  return Ok();
}

bool Overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

}  // namespace

Result<std::vector<IdMapRange>> SubidRanges(std::string_view file_text, std::string_view user,
                                            std::optional<uint32_t> uid) {
  std::vector<IdMapRange> out;
  uint64_t next = 0;
  const std::string uid_name = uid ? std::to_string(*uid) : std::string();
  auto lines = Split(file_text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = "subid line " + std::to_string(i + 1);
    auto f = Split(line, ':');
    if (f.size() != 3 || f[0].empty()) return Error::Invalid(where + ": expected name:start:count");
    auto start = ParseId(f[1], where + ": start");
    if (!start) return start.error();
    auto count = ParseUint64(Trim(f[2]));
    if (!count) return Error::Invalid(where + ": count '" + f[2] + "' is not a number");
    RAMPART_TRY(CheckEnd(*start, *count, where));
    if (f[0] != user && (uid_name.empty() || f[0] != uid_name)) continue;
    if (next + *count - 1 > kMaxId)
      return Error::Invalid(where + ": ranges for " + std::string(user) + " exceed the id space");
    out.push_back({static_cast<uint32_t>(next), *start, static_cast<uint32_t>(*count)});
    next += *count;
  }
  return out;
}

Result<IdMapRange> ParseIdMapRange(std::string_view text) {
  auto f = Split(text, ':');
  const std::string what = "id range '" + std::string(text) + "'";
  if (f.size() != 3) return Error::Invalid(what + ": expected container:host:count");
  auto c = ParseId(f[0], "container id");
  if (!c) return c.error().Wrap(what);
  auto h = ParseId(f[1], "host id");
  if (!h) return h.error().Wrap(what);
  auto n = ParseUint64(Trim(f[2]));
  if (!n) return Error::Invalid(what + ": count '" + f[2] + "' is not a number");
  RAMPART_TRY(CheckEnd(*c, *n, what));
  RAMPART_TRY(CheckEnd(*h, *n, what));
  return IdMapRange{*c, *h, static_cast<uint32_t>(*n)};
}

std::string IdMapRangeString(const IdMapRange& r) {
  return std::to_string(r.container_start) + ":" + std::to_string(r.host_start) + ":" +
         std::to_string(r.count);
}

Status ValidateIdMap(const std::vector<IdMapRange>& map, const std::string& what) {
  for (size_t i = 0; i < map.size(); ++i) {
    const auto& a = map[i];
    const std::string ra = what + " range " + IdMapRangeString(a);
    RAMPART_TRY(CheckEnd(a.container_start, a.count, ra));
    RAMPART_TRY(CheckEnd(a.host_start, a.count, ra));
    for (size_t j = 0; j < i; ++j) {
      const auto& b = map[j];
      if (Overlap(a.container_start, a.count, b.container_start, b.count))
        return Error::Invalid(ra + " overlaps " + IdMapRangeString(b) + " on the container side");
      if (Overlap(a.host_start, a.count, b.host_start, b.count))
        return Error::Invalid(ra + " overlaps " + IdMapRangeString(b) + " on the host side");
    }
  }
  return Ok();
}

std::string FormatIdMap(const std::vector<IdMapRange>& map) {
  std::string out;
  for (const auto& r : map)
    out += std::to_string(r.container_start) + " " + std::to_string(r.host_start) + " " +
           std::to_string(r.count) + "\n";
  return out;
}

Result<uint32_t> MapToHost(const std::vector<IdMapRange>& map, uint32_t container_id) {
  for (const auto& r : map) {
    if (container_id >= r.container_start &&
        uint64_t{container_id} < uint64_t{r.container_start} + r.count)
      return r.host_start + (container_id - r.container_start);
  }
  return Error::NotFound("container id " + std::to_string(container_id) + " is not mapped");
}

namespace {

class Shifter {
 public:
  Shifter(const std::vector<IdMapRange>& uids, const std::vector<IdMapRange>& gids, dev_t dev)
      : uids_(uids), gids_(gids), dev_(dev) {}

  // Re-owns `name` in `dfd` (already lstat-ed as `st`); `path` is for messages.
  Status ShiftEntry(int dfd, const char* name, const struct stat& st, const std::string& path) {
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
      if (!seen_.insert({st.st_dev, st.st_ino}).second) return Ok();  // another link, done
    }
    auto uid = MapToHost(uids_, st.st_uid);
    if (!uid)
      return Error::Invalid(path + ": owner uid " + std::to_string(st.st_uid) +
                            " is outside the uid map");
    auto gid = MapToHost(gids_, st.st_gid);
    if (!gid)
      return Error::Invalid(path + ": group gid " + std::to_string(st.st_gid) +
                            " is outside the gid map");
    if (::fchownat(dfd, name, *uid, *gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) != 0)
      return Error::FromErrno(errno, "chown " + path);
    if (!S_ISLNK(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID))) {
      // chown cleared setuid/setgid; put the mode back. AT_SYMLINK_NOFOLLOW:
      // glibc refuses (EOPNOTSUPP) should the entry have become a symlink.
      int rc = name[0] ? ::fchmodat(dfd, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW)
                       : ::fchmod(dfd, st.st_mode & 07777);
      if (rc != 0) return Error::FromErrno(errno, "chmod " + path);
    }
    return Ok();
  }

  // Shifts everything below the open directory `dfd` (not `dfd` itself).
  Status Walk(int dfd, const std::string& path) {
    RAMPART_ASSIGN_OR_RETURN(auto names, ListDirectory(dfd, path));
    for (const std::string& name : names) {
      const std::string child = path + "/" + name;
      struct stat st;
      if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return Error::FromErrno(errno, "stat " + child);
      if (st.st_dev != dev_) continue;  // a mount point: not ours to re-own, never crossed
      if (S_ISDIR(st.st_mode)) {
        UniqueFd sub(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) return Error::FromErrno(errno, "open " + child);
        struct stat again;
        if (::fstat(sub.get(), &again) != 0) return Error::FromErrno(errno, "stat " + child);
        if (again.st_dev != st.st_dev || again.st_ino != st.st_ino)
          return Error::Internal(child + " changed while shifting ownership");
        RAMPART_TRY(Walk(sub.get(), child));
        RAMPART_TRY(ShiftEntry(sub.get(), "", again, child));
      } else {
        RAMPART_TRY(ShiftEntry(dfd, name.c_str(), st, child));
      }
    }
    return Ok();
  }

 private:
  const std::vector<IdMapRange>& uids_;
  const std::vector<IdMapRange>& gids_;
  dev_t dev_;
  std::set<std::pair<dev_t, ino_t>> seen_;
};

}  // namespace

Status ShiftOwnership(const std::string& dir, const std::vector<IdMapRange>& uid_map,
                      const std::vector<IdMapRange>& gid_map) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return Error::FromErrno(errno, "open " + dir);
  struct stat st;
  if (::fstat(root.get(), &st) != 0) return Error::FromErrno(errno, "stat " + dir);
  Shifter s(uid_map, gid_map, st.st_dev);
  RAMPART_TRY(s.Walk(root.get(), dir));
  // The top directory last, so its ids stay container ids until the end.
  return s.ShiftEntry(root.get(), "", st, dir);
}

}  // namespace rampart::runtime
