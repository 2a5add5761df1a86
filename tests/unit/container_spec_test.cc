// Container config parsing: every key, the defaults merge order
// (rampart.conf < conf.d sorted < container), positions in errors, size
// suffixes, id maps and validation; plus Paths and container names.
#include "runtime/container_spec.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "base/atomic_file.h"
#include "runtime/paths.h"
#include "tests/unit/temp_dir.h"

namespace rampart::runtime {
namespace {

Result<ContainerSpec> Parse(const std::string& text, const ConfigDefaults& d = {},
                            std::string_view name = {}) {
  return ParseContainerSpec(text, "web.yaml", d, name);
}

std::string ErrorOf(const Result<ContainerSpec>& r) {
  return r.has_value() ? std::string("<no error>") : r.error().message();
}

TEST(ContainerSpecTest, EmptyConfigGivesDefaults) {
  auto s = Parse("", {}, "web");
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->name, "web");
  EXPECT_EQ(s->hostname, "web");
  EXPECT_EQ(s->profile, "default");
  EXPECT_EQ(s->cwd, "/");
  EXPECT_EQ(s->command, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(s->env, DefaultEnv());
  EXPECT_EQ(s->env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(s->namespaces, NamespaceSet{});
  EXPECT_FALSE(s->namespaces.user);
  EXPECT_TRUE(s->namespaces.net);
  EXPECT_TRUE(s->uid_map.empty());
  EXPECT_FALSE(s->limits.memory_bytes.has_value());
  EXPECT_EQ(s->networks, std::vector<std::string>{"rampart0"}) << "every container joins the default network";
  EXPECT_TRUE(s->publish.empty());
}

TEST(ContainerSpecTest, NetworksNoneAndHostNetwork) {
  auto none = Parse("networks: [none]\n", {}, "web");
  ASSERT_TRUE(none.has_value()) << ErrorOf(none);
  EXPECT_TRUE(none->networks.empty());
  // Sharing the host's network namespace drops the default network.
  auto host = Parse("namespaces: {net: false}\n", {}, "web");
  ASSERT_TRUE(host.has_value()) << ErrorOf(host);
  EXPECT_TRUE(host->networks.empty());
}

TEST(ContainerSpecTest, EveryKey) {
  const std::string text = R"(name: web
rootfs: /srv/web/rootfs
template: busybox
command: [/bin/httpd, -f, -p, "8080"]
env: [A=1, B=two=2]
cwd: /srv
user: "1000:100"
additional_gids: [10, 20]
hostname: web-1.example
namespaces: {pid: true, ipc: false, uts: true, net: true, cgroup: false, user: true, time: true}
idmap:
  uid: "0:100000:65536"
  gid: ["0:200000:1000", "1000:300000:10"]
mounts:
  - {source: /data, target: /data, readonly: true}
  - {type: tmpfs, target: /run/cache, options: [size=1M, mode=0755]}
limits: {memory: 64M, pids: 100, cpu_weight: 200, cpus: 0.5}
profile: strict
networks: [lan, "wan:ip=10.0.9.9,name=wan0"]
publish: ["8080:80", "53:53/udp"]
tty: true
allow_dangerous: true
)";
  auto s = Parse(text);
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->name, "web");
  EXPECT_EQ(s->rootfs, "/srv/web/rootfs");
  EXPECT_EQ(s->template_ref, "busybox");
  EXPECT_EQ(s->command, (std::vector<std::string>{"/bin/httpd", "-f", "-p", "8080"}));
  EXPECT_EQ(s->env, (std::vector<std::string>{"A=1", "B=two=2"}));
  EXPECT_EQ(s->cwd, "/srv");
  EXPECT_EQ(s->uid, 1000u);
  EXPECT_EQ(s->gid, 100u);
  EXPECT_EQ(s->additional_gids, (std::vector<uint32_t>{10, 20}));
  EXPECT_EQ(s->hostname, "web-1.example");
  EXPECT_TRUE(s->namespaces.pid);
  EXPECT_TRUE(s->namespaces.mount);
  EXPECT_FALSE(s->namespaces.ipc);
  EXPECT_TRUE(s->namespaces.net);
  EXPECT_FALSE(s->namespaces.cgroup);
  EXPECT_TRUE(s->namespaces.user);
  EXPECT_TRUE(s->namespaces.time);
  EXPECT_EQ(s->uid_map, (std::vector<IdMapRange>{{0, 100000, 65536}}));
  EXPECT_EQ(s->gid_map, (std::vector<IdMapRange>{{0, 200000, 1000}, {1000, 300000, 10}}));
  ASSERT_EQ(s->mounts.size(), 2u);
  EXPECT_EQ(s->mounts[0], (MountSpec{"/data", "/data", true, "bind", {}}));
  EXPECT_EQ(s->mounts[1],
            (MountSpec{"tmpfs", "/run/cache", false, "tmpfs", {"size=1M", "mode=0755"}}));
  EXPECT_EQ(s->limits.memory_bytes, 64u << 20);
  EXPECT_EQ(s->limits.pids_max, 100u);
  EXPECT_EQ(s->limits.cpu_weight, 200u);
  EXPECT_EQ(s->limits.cpus, 0.5);
  EXPECT_EQ(s->profile, "strict");
  EXPECT_EQ(s->networks, (std::vector<std::string>{"lan", "wan:ip=10.0.9.9,name=wan0"}));
  EXPECT_EQ(s->publish, (std::vector<std::string>{"8080:80", "53:53/udp"}));
  EXPECT_TRUE(s->tty);
  EXPECT_TRUE(s->allow_dangerous);

  // And it survives a round trip through config.yaml.
  std::string yaml = SerializeContainerSpec(*s);
  auto back = Parse(yaml);
  ASSERT_TRUE(back.has_value()) << ErrorOf(back) << "\n" << yaml;
  EXPECT_EQ(*back, *s) << yaml;
}

TEST(ContainerSpecTest, UserFormsAndEnvMap) {
  auto s = Parse("user: 1000\nenv: {HOME: /home/u, EXTRA: 'x y', TERM: ~}\n");
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->uid, 1000u);
  EXPECT_EQ(s->gid, 1000u);  // a bare uid also sets the gid
  EXPECT_EQ(s->env, (std::vector<std::string>{
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "HOME=/home/u", "EXTRA=x y"}));
}

TEST(ContainerSpecTest, SizeSuffixes) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("1K"), 1024u);
  EXPECT_EQ(*ParseSize("2k"), 2048u);
  EXPECT_EQ(*ParseSize("64M"), 64ull << 20);
  EXPECT_EQ(*ParseSize("3G"), 3ull << 30);
  EXPECT_EQ(*ParseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(*ParseSize("2T"), 2ull << 40);
  EXPECT_FALSE(ParseSize("").has_value());
  EXPECT_FALSE(ParseSize("M").has_value());
  EXPECT_FALSE(ParseSize("12X").has_value());
  EXPECT_FALSE(ParseSize("-1").has_value());
  EXPECT_FALSE(ParseSize("1.5G").has_value());
  EXPECT_FALSE(ParseSize("99999999999999999999").has_value());
  EXPECT_FALSE(ParseSize("17179869184G").has_value());  // overflows 64 bits
  auto s = Parse("limits: {memory: 1048576}\n");
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->limits.memory_bytes, 1048576u);
}

TEST(ContainerSpecTest, DefaultsMergeInOrder) {
  ConfigDefaults d;
  d.layers.push_back(
      {"/etc/rampart/rampart.conf",
       "profile: base\nlimits: {memory: 1G, pids: 50}\nenv: {A: from-main, B: from-main}\n"
       "namespaces: {ipc: false}\nnetworks: [a, b]\n"});
  d.layers.push_back(
      {"/etc/rampart/conf.d/10-x.conf", "profile: ten\nlimits: {pids: 60}\nenv: {B: from-10}\n"});
  d.layers.push_back({"/etc/rampart/conf.d/20-y.conf", "limits: {cpus: 2}\nnetworks: [c]\n"});
  auto s = Parse("limits: {cpu_weight: 10}\nenv: {C: mine}\n", d);
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->profile, "ten");                   // conf.d beats rampart.conf
  EXPECT_EQ(s->limits.memory_bytes, 1ull << 30);  // maps merge key-wise
  EXPECT_EQ(s->limits.pids_max, 60u);
  EXPECT_EQ(s->limits.cpus, 2.0);
  EXPECT_EQ(s->limits.cpu_weight, 10u);
  EXPECT_FALSE(s->namespaces.ipc);
  EXPECT_TRUE(s->namespaces.pid);
  EXPECT_EQ(s->networks, std::vector<std::string>{"c"});  // lists replace
  EXPECT_EQ(s->env.back(), "C=mine");
  EXPECT_NE(std::find(s->env.begin(), s->env.end(), "A=from-main"), s->env.end());
  EXPECT_NE(std::find(s->env.begin(), s->env.end(), "B=from-10"), s->env.end());

  // The container wins over all layers; null removes a default limit; a
  // list env replaces the merged one.
  auto t = Parse("profile: mine\nlimits: {memory: ~}\nenv: [X=1]\nnetworks: []\n", d);
  ASSERT_TRUE(t.has_value()) << ErrorOf(t);
  EXPECT_EQ(t->profile, "mine");
  EXPECT_FALSE(t->limits.memory_bytes.has_value());
  EXPECT_EQ(t->env, std::vector<std::string>{"X=1"});
  EXPECT_TRUE(t->networks.empty());

  // A serialized spec does not pick up defaults later.
  std::string yaml = SerializeContainerSpec(*t);
  auto back = Parse(yaml, d);
  ASSERT_TRUE(back.has_value()) << ErrorOf(back);
  EXPECT_EQ(*back, *t);
}

// Paths whose RAMPART_CONF_DIR is `dir` (root and run beside it, unused).
Paths ConfPaths(const std::string& dir) {
  Paths p;
  p.root = dir + "/root";
  p.run = dir + "/run";
  p.conf_dir = dir;
  return p;
}

TEST(ContainerSpecTest, LoadDefaultsReadsConfAndConfDSorted) {
  ::rampart::testing_util::TempDir scratch("rampart-conf-");
  ASSERT_FALSE(scratch.path().empty());
  const std::string dir = scratch.path();
  const Paths p = ConfPaths(dir);
  ASSERT_EQ(::mkdir((dir + "/conf.d").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(dir + "/rampart.conf", "profile: main\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir + "/conf.d/20-b.conf", "profile: b\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir + "/conf.d/10-a.conf", "profile: a\ncwd: /a\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir + "/conf.d/30-c.conf.disabled", "profile: c\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir + "/conf.d/.hidden.conf", "profile: h\n").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir + "/subuid", "root:100000:65536\n").has_value());
  auto d = LoadDefaults(p, dir + "/subuid", dir + "/no-subgid");
  ASSERT_TRUE(d.has_value()) << d.error().message();
  ASSERT_EQ(d->layers.size(), 3u);
  EXPECT_EQ(d->layers[0].file, dir + "/rampart.conf");
  EXPECT_EQ(d->layers[1].file, dir + "/conf.d/10-a.conf");
  EXPECT_EQ(d->layers[2].file, dir + "/conf.d/20-b.conf");
  EXPECT_TRUE(d->subuid.has_value());
  EXPECT_FALSE(d->subgid.has_value());
  auto s = Parse("", *d);
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->profile, "b");
  EXPECT_EQ(s->cwd, "/a");

  // A broken defaults file is reported by LoadDefaults with its position.
  ASSERT_TRUE(WriteFileAtomic(dir + "/conf.d/15-bad.conf", "cwd: /x\nbogus: 1\n").has_value());
  auto bad = LoadDefaults(p, dir + "/subuid", dir + "/no-subgid");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message().rfind(dir + "/conf.d/15-bad.conf:2:1: unknown key 'bogus'", 0),
            0u)
      << bad.error().message();

}

// create/run without --config parse no document of the container's own:
// the result must be exactly that of a config holding only its name, over
// defaults parsed by LoadDefaults (trees kept) or given as text.
TEST(ContainerSpecTest, NameOnlyContainerMatchesAParsedNameConfig) {
  ::rampart::testing_util::TempDir scratch("rampart-conf-");
  ASSERT_FALSE(scratch.path().empty());
  const std::string dir = scratch.path();
  const Paths p = ConfPaths(dir);
  const std::string conf =
      "profile: base\nlimits: {memory: 1G, pids: 50}\nenv: {A: x}\nnetworks: [none]\ncwd: /srv\n";
  ASSERT_TRUE(WriteFileAtomic(dir + "/rampart.conf", conf).has_value());
  auto loaded = LoadDefaults(p, dir + "/no-subuid", dir + "/no-subgid");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->layers.size(), 1u);
  EXPECT_NE(loaded->layers[0].parsed, nullptr) << "LoadDefaults keeps the tree it checked";
  ConfigDefaults as_text;
  as_text.layers.push_back({loaded->layers[0].file, conf});

  auto parsed = ParseContainerSpec("name: web\n", "/x/config.yaml", as_text);
  ASSERT_TRUE(parsed.has_value()) << ErrorOf(parsed);
  for (const ConfigDefaults* d : {&*loaded, &as_text}) {
    auto from = ContainerSpecFromDefaults("/x/config.yaml", *d, "web");
    ASSERT_TRUE(from.has_value()) << ErrorOf(from);
    EXPECT_EQ(*from, *parsed);
    EXPECT_EQ(from->name, "web");
    EXPECT_EQ(from->hostname, "web");
    EXPECT_EQ(from->limits.pids_max, 50u);
    auto again = ParseContainerSpec("name: web\n", "/x/config.yaml", *d);
    ASSERT_TRUE(again.has_value()) << ErrorOf(again);
    EXPECT_EQ(*again, *parsed) << "a kept tree parses like its text";
  }
  auto bad = ContainerSpecFromDefaults("/x/config.yaml", as_text, "../evil");
  EXPECT_FALSE(bad.has_value()) << "the name is validated";
}

TEST(ContainerSpecTest, LoadDefaultsWithNothingThere) {
  Paths p;
  p.root = "/nonexistent/rampart-root";
  p.run = "/nonexistent/rampart-run";
  p.conf_dir = "/nonexistent/rampart-conf";
  auto d = LoadDefaults(p, "/nonexistent/subuid", "/nonexistent/subgid");
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_TRUE(d->layers.empty());
  EXPECT_FALSE(d->subuid.has_value());
}

TEST(ContainerSpecTest, UserNamespaceIdMapSources) {
  // From /etc/subuid and /etc/subgid: the first range of root.
  ConfigDefaults d;
  d.subuid = "alice:200000:65536\nroot:100000:65536\nroot:500000:10\n";
  d.subgid = "0:300000:65536\n";  // by uid
  auto s = Parse("namespaces: {user: true}\n", d);
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->uid_map, (std::vector<IdMapRange>{{0, 100000, 65536}}));
  EXPECT_EQ(s->gid_map, (std::vector<IdMapRange>{{0, 300000, 65536}}));

  // An explicit idmap wins; one side given copies to the other.
  auto e = Parse("namespaces: {user: true}\nidmap: {uid: '0:700000:1000'}\n", d);
  ASSERT_TRUE(e.has_value()) << ErrorOf(e);
  EXPECT_EQ(e->uid_map, (std::vector<IdMapRange>{{0, 700000, 1000}}));
  EXPECT_EQ(e->gid_map, e->uid_map);

  // No subid entry for root: default_idmap from rampart.conf.
  ConfigDefaults none;
  none.subuid = "alice:200000:65536\n";
  none.layers.push_back(
      {"rampart.conf", "default_idmap: {uid: '0:400000:65536', gid: '0:410000:65536'}\n"});
  auto f = Parse("namespaces: {user: true}\n", none);
  ASSERT_TRUE(f.has_value()) << ErrorOf(f);
  EXPECT_EQ(f->uid_map, (std::vector<IdMapRange>{{0, 400000, 65536}}));
  EXPECT_EQ(f->gid_map, (std::vector<IdMapRange>{{0, 410000, 65536}}));

  // Nothing at all: the error says what to do, at the namespaces key.
  auto g = Parse("cwd: /\nnamespaces: {user: true}\n", ConfigDefaults{});
  EXPECT_EQ(ErrorOf(g),
            "web.yaml:2:13: user namespace requested but no id range: add root:100000:65536 to "
            "/etc/subuid or set idmap");

  // Without a user namespace no map is taken.
  auto h = Parse("", d);
  ASSERT_TRUE(h.has_value());
  EXPECT_TRUE(h->uid_map.empty());
}

struct BadCase {
  const char* yaml;
  const char* error;  // the whole message
};

TEST(ContainerSpecTest, ErrorsCarryPositions) {
  const BadCase cases[] = {
      {"name: web\nbogus: 1\n",
       "web.yaml:2:1: unknown key 'bogus' in container config (expected one of: name, rootfs, "
       "template, command, env, "
       "cwd, user, additional_gids, hostname, namespaces, idmap, mounts, limits, profile, "
       "networks, publish, tty, init, "
       "allow_dangerous, criu)"},
      {"cwd: /\ncwd: /tmp\n", "web.yaml:2:1: duplicate key 'cwd' in container config"},
      {"namespaces:\n  pid: true\n  pid: false\n",
       "web.yaml:3:3: duplicate key 'pid' in namespaces"},
      {"namespaces: {pid: yes}\n", "web.yaml:1:19: namespaces.pid must be true or false"},
      {"namespaces: {mount: false}\n",
       "web.yaml:1:21: namespaces.mount cannot be false: the rootfs is set up in a private mount "
       "namespace"},
      {"namespaces: {bogus: true}\n",
       "web.yaml:1:14: unknown key 'bogus' in namespaces (expected one of: pid, mount, ipc, uts, "
       "net, cgroup, user, "
       "time)"},
      {"command: /bin/sh\n", "web.yaml:1:10: command must be a list"},
      {"command: []\n", "web.yaml:1:10: command must not be empty"},
      {"cwd: srv\n", "web.yaml:1:6: cwd 'srv' must be an absolute path without '..'"},
      {"cwd: /srv/../etc\n",
       "web.yaml:1:6: cwd '/srv/../etc' must be an absolute path without '..'"},
      {"env: [NOEQUALS]\n", "web.yaml:1:7: env entry 'NOEQUALS' must look like KEY=value"},
      {"env: 3\n", "web.yaml:1:6: env must be a list of KEY=value or a mapping"},
      {"user: bob\n",
       "web.yaml:1:7: user must be a numeric uid or \"uid:gid\" (0-4294967294), not 'bob'"},
      {"user: 1:2:3\n", "web.yaml:1:7: user must be a uid or \"uid:gid\", not '1:2:3'"},
      {"additional_gids: [1, x]\n",
       "web.yaml:1:22: each of additional_gids must be a non-negative integer, not 'x'"},
      {"hostname: -bad\n",
       "web.yaml:1:11: hostname '-bad' must be 1-64 letters, digits, '-', '_' or '.', not starting "
       "with "
       "'-' or '.'"},
      {"mounts:\n  - {source: /a, target: relative}\n",
       "web.yaml:2:26: mount target 'relative' must be an absolute path without '..'"},
      {"mounts:\n  - {source: /a}\n", "web.yaml:2:5: mount needs a target"},
      {"mounts:\n  - {target: /a}\n", "web.yaml:2:5: bind mount of /a needs a source"},
      {"mounts:\n  - {source: rel, target: /a}\n",
       "web.yaml:2:5: bind mount source 'rel' must be an absolute path without '..'"},
      {"mounts:\n  - {source: /a, target: /a, rw: true}\n",
       "web.yaml:2:30: unknown key 'rw' in mount (expected one of: source, target, readonly, type, "
       "options)"},
      {"limits:\n  memory: 0\n", "web.yaml:2:11: limits.memory must be greater than 0"},
      {"limits:\n  memory: 12X\n",
       "web.yaml:2:11: limits.memory: size '12X' has an unknown suffix (expected K, M, G or T)"},
      {"limits: {pids: 0}\n", "web.yaml:1:16: limits.pids must be greater than 0"},
      {"limits: {pids: -5}\n",
       "web.yaml:1:16: limits.pids must be a non-negative integer, not '-5'"},
      {"limits: {cpu_weight: 10001}\n",
       "web.yaml:1:22: limits.cpu_weight must be between 1 and 10000"},
      {"limits: {cpus: 0}\n",
       "web.yaml:1:16: limits.cpus must be a number greater than 0, not '0'"},
      {"limits: {cpus: [1]}\n", "web.yaml:1:16: limits.cpus must be a number"},
      {"tty: 1\n", "web.yaml:1:6: tty must be true or false"},
      {"profile: ''\n", "web.yaml:1:10: profile must not be empty"},
      {"networks: lan\n", "web.yaml:1:11: networks must be a list"},
      {"networks: [\"lan:ip=300.1.1.1\"]\n",
       "web.yaml:1:11: --net lan:ip=300.1.1.1: ip: '300.1.1.1' is not an IPv4 address"},
      {"networks: [none, lan]\n", "web.yaml:1:11: --net none cannot be combined with other networks"},
      {"namespaces: {net: false}\nnetworks: [lan]\n",
       "web.yaml:2:11: networks need the container's own network namespace (namespaces.net: true)"},
      {"networks: []\npublish: [\"80:80\"]\n", "web.yaml:2:10: publish needs a network to forward to"},
      {"name: ../x\n",
       "web.yaml:1:7: invalid container name '../x': must start with a letter or digit (names "
       "match "
       "[A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters)"},
      {"rootfs: rel/path\n",
       "web.yaml:1:9: rootfs 'rel/path' must be an absolute path without '..'"},
      {"namespaces: {user: true}\nidmap: {uid: '0:100000'}\n",
       "web.yaml:2:14: idmap.uid: id range '0:100000': expected container:host:count"},
      {"namespaces: {user: true}\nidmap: {uid: '0:100000:0'}\n",
       "web.yaml:2:14: idmap.uid: id range '0:100000:0': count must be greater than 0"},
      {"namespaces: {user: true}\nidmap: {uid: ['0:100000:100', '50:300000:10']}\n",
       "web.yaml:2:14: idmap.uid range 50:300000:10 overlaps 0:100000:100 on the container side"},
      {"namespaces: {user: true}\nidmap: {uid: ['0:100000:100', '100:100050:10']}\n",
       "web.yaml:2:14: idmap.uid range 100:100050:10 overlaps 0:100000:100 on the host side"},
      {"namespaces: {user: true}\nidmap: {uid: '1:100000:100'}\n",
       "web.yaml:2:14: idmap.uid must map container id 0"},
      {"namespaces: {user: true}\nidmap: {uid: '0:100000:100'}\nuser: 500\n",
       "web.yaml:3:7: user: uid 500 is not in idmap.uid"},
      {"idmap: {uid: '0:100000:100'}\n", "web.yaml:1:8: idmap is set but namespaces.user is false"},
      {"default_idmap: {uid: '0:100000:100'}\n",
       "web.yaml:1:1: unknown key 'default_idmap' in container config (expected one of: name, "
       "rootfs, template, "
       "command, env, cwd, user, additional_gids, hostname, namespaces, idmap, mounts, limits, "
       "profile, networks, "
       "publish, tty, init, allow_dangerous, criu)"},
      {"cwd: [unclosed\n", "web.yaml:2:1: malformed YAML: end of sequence flow not found"},
      {"- a\n- b\n", "web.yaml:1:1: container config must be a mapping"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.yaml);
    EXPECT_EQ(ErrorOf(r), c.error) << "for:\n" << c.yaml;
  }
}

TEST(ContainerSpecTest, CriuPath) {
  auto s = Parse("name: web\nrootfs: /srv/web\ncriu: /opt/x/criu\n");
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->criu, "/opt/x/criu");
  std::string yaml = SerializeContainerSpec(*s);
  EXPECT_NE(yaml.find("criu: \"/opt/x/criu\""), std::string::npos) << yaml;
  auto back = Parse(yaml);
  ASSERT_TRUE(back.has_value()) << ErrorOf(back) << "\n" << yaml;
  EXPECT_EQ(back->criu, "/opt/x/criu");
  EXPECT_EQ(*back, *s) << yaml;

  // Unset: empty, and not written out.
  auto none = Parse("name: web\nrootfs: /srv/web\n");
  ASSERT_TRUE(none.has_value()) << ErrorOf(none);
  EXPECT_EQ(none->criu, "");
  EXPECT_EQ(SerializeContainerSpec(*none).find("criu"), std::string::npos);

  EXPECT_EQ(ErrorOf(Parse("name: web\ncriu: relative/path\n")),
            "web.yaml:2:7: criu 'relative/path' must be an absolute path without '..'");
  EXPECT_EQ(ErrorOf(Parse("criu: /opt/../criu\n")),
            "web.yaml:1:7: criu '/opt/../criu' must be an absolute path without '..'");

  // A default from rampart.conf applies; the container's own wins.
  ConfigDefaults d;
  d.layers.push_back({"/etc/rampart/rampart.conf", "criu: /usr/local/sbin/criu\n"});
  auto from_default = Parse("", d, "web");
  ASSERT_TRUE(from_default.has_value()) << ErrorOf(from_default);
  EXPECT_EQ(from_default->criu, "/usr/local/sbin/criu");
  auto own = Parse("criu: /opt/x/criu\n", d, "web");
  ASSERT_TRUE(own.has_value()) << ErrorOf(own);
  EXPECT_EQ(own->criu, "/opt/x/criu");
}

TEST(ContainerSpecTest, HostnameDefaultsToAnyValidName) {
  auto s = Parse("", {}, "my_web.1");
  ASSERT_TRUE(s.has_value()) << ErrorOf(s);
  EXPECT_EQ(s->hostname, "my_web.1");
}

TEST(ContainerSpecTest, NameMustMatchCommandLine) {
  EXPECT_EQ(ErrorOf(Parse("name: db\n", {}, "web")),
            "web.yaml:1:7: name 'db' does not match the container name 'web'");
  EXPECT_TRUE(Parse("name: web\n", {}, "web").has_value());
}

TEST(ContainerSpecTest, DefaultsLayerRules) {
  ConfigDefaults d;
  d.layers.push_back({"/etc/rampart/rampart.conf", "name: x\n"});
  auto r = Parse("", d);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(
      r.error().message().rfind("/etc/rampart/rampart.conf:1:1: unknown key 'name' in defaults", 0),
      0u)
      << r.error().message();
  ConfigDefaults e;
  e.layers.push_back({"/etc/rampart/rampart.conf", "limits: {pids: zero}\n"});
  EXPECT_EQ(
      ErrorOf(Parse("", e)),
      "/etc/rampart/rampart.conf:1:16: limits.pids must be a non-negative integer, not 'zero'");
}

TEST(ContainerSpecTest, ValidateBuiltSpec) {
  ContainerSpec s;
  EXPECT_EQ(ValidateContainerSpec(s).error().message(), "name is not set");
  s.name = "web";
  EXPECT_EQ(ValidateContainerSpec(s).error().message(), "rootfs is not set");
  s.rootfs = "/srv/rootfs";
  s.hostname = "web";
  EXPECT_TRUE(ValidateContainerSpec(s).has_value());
  s.namespaces.user = true;
  EXPECT_EQ(ValidateContainerSpec(s).error().message(),
            "user namespace requested but no id range: add root:100000:65536 to /etc/subuid or set "
            "idmap");
  s.uid_map = s.gid_map = {{0, 100000, 65536}};
  EXPECT_TRUE(ValidateContainerSpec(s).has_value());
  s.additional_gids = {70000};
  EXPECT_EQ(ValidateContainerSpec(s).error().message(),
            "additional_gids: gid 70000 is not in idmap.gid");
}

// ---- Paths and names ---------------------------------------------------------

TEST(PathsTest, Layout) {
  Paths p;
  p.root = "/var/lib/rampart";
  p.run = "/run/rampart";
  EXPECT_EQ(p.ContainerDir("web"), "/var/lib/rampart/containers/web");
  EXPECT_EQ(p.ConfigFile("web"), "/var/lib/rampart/containers/web/config.yaml");
  EXPECT_EQ(p.RootfsDir("web"), "/var/lib/rampart/containers/web/rootfs");
  EXPECT_EQ(p.LogFile("web"), "/var/lib/rampart/containers/web/console.log");
  EXPECT_EQ(p.LockFile("web"), "/var/lib/rampart/containers/.web.lock");
  EXPECT_EQ(p.RunDir("web"), "/run/rampart/web");
  EXPECT_EQ(p.StateFile("web"), "/run/rampart/web/state.json");
  EXPECT_EQ(p.MonitorSocket("web"), "/run/rampart/web/monitor.sock");
  EXPECT_EQ(p.PolicyCacheDir(), "/var/lib/rampart/cache/bpf");
  EXPECT_EQ(p.ConfFile(), "/etc/rampart/rampart.conf");
  EXPECT_EQ(p.ConfDir(), "/etc/rampart/conf.d");
}

// Directories of the run dir that are not a container's must have names no
// container can have, or RunDir(NAME) is them (and destroy NAME removes them).
TEST(PathsTest, RunDirsOfNetworksAndOvsAreNoContainersRunDir) {
  Paths p;
  p.root = "/var/lib/rampart";
  p.run = "/run/rampart";
  for (const std::string& dir : {p.NetworksRunDir(), p.OvsRunDir()}) {
    ASSERT_TRUE(dir.starts_with(p.run + "/")) << dir;
    const std::string base = dir.substr(p.run.size() + 1);
    EXPECT_FALSE(ValidateName(base).has_value()) << dir << " is also RunDir(\"" << base << "\")";
  }
}

// Runs `fn` in a child so environment changes never leak into other tests.
template <typename Fn>
void InChild(Fn fn) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(fn() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(PathsTest, FlagThenEnvironmentThenDefault) {
  InChild([] {
    ::unsetenv("RAMPART_ROOT");
    ::unsetenv("RAMPART_RUN");
    ::unsetenv("RAMPART_CONF_DIR");
    Paths d = Paths::From(std::nullopt);
    if (d.root != "/var/lib/rampart" || d.run != "/run/rampart" ||
        d.ConfFile() != "/etc/rampart/rampart.conf")
      return false;
    ::setenv("RAMPART_ROOT", "/tmp/r/", 1);
    ::setenv("RAMPART_RUN", "/tmp/run", 1);
    ::setenv("RAMPART_CONF_DIR", "/tmp/conf", 1);
    Paths e = Paths::From(std::nullopt);
    if (e.root != "/tmp/r" || e.run != "/tmp/run" || e.ConfFile() != "/tmp/conf/rampart.conf" ||
        e.ConfDir() != "/tmp/conf/conf.d")
      return false;
    Paths f = Paths::From(std::string("/flag"));
    if (f.root != "/flag") return false;
    if (::chdir("/tmp") != 0) return false;
    Paths g = Paths::From(std::string("rel"));
    return g.root == "/tmp/rel";
  });
}

TEST(NameTest, Table) {
  const std::pair<const char*, bool> cases[] = {
      {"web", true},      {"Web-1", true}, {"a", true},    {"0", true},
      {"a.b_c-d", true},  {"", false},     {".", false},   {"..", false},
      {".hidden", false}, {"-x", false},   {"_x", false},  {"a/b", false},
      {"/a", false},      {"a b", false},  {"a:b", false}, {"caf\xc3\xa9", false},
      {"a\nb", false},
  };
  for (const auto& [name, ok] : cases)
    EXPECT_EQ(ValidateName(name).has_value(), ok) << "'" << name << "'";
  EXPECT_TRUE(ValidateName(std::string(64, 'a')).has_value());
  auto too_long = ValidateName(std::string(65, 'a'));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message().find("longer than 64 characters"), std::string::npos);
  auto slash = ValidateName("a/b");
  EXPECT_EQ(slash.error().message(),
            "invalid container name 'a/b': contains '/' (names match [A-Za-z0-9][A-Za-z0-9_.-]*, "
            "at most 64 characters)");
  EXPECT_EQ(slash.error().kind(), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace rampart::runtime
