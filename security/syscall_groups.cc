#include "security/syscall_groups.h"

#include <yaml-cpp/yaml.h>

#include "security/embedded.h"

namespace rampart::security {

Result<SyscallGroups> SyscallGroups::Parse(std::string_view yaml_text, const std::string& file) {
  SyscallGroups out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (root["systemd_version"]) out.version_ = root["systemd_version"].as<std::string>();
    YAML::Node groups = root["groups"];
    if (!groups || !groups.IsMap()) return Error::Invalid(file + ": no 'groups' map");
    for (const auto& kv : groups) {
      std::vector<std::string> members;
      if (!kv.second.IsSequence())
        return Error::Invalid(file + ": group " + kv.first.as<std::string>() + " is not a list");
      for (const auto& m : kv.second) members.push_back(m.as<std::string>());
      out.groups_[kv.first.as<std::string>()] = std::move(members);
    }
  } catch (const YAML::Exception& e) {
    return Error::Invalid(file + ": " + e.what());
  }
  return out;
}

Result<SyscallGroups> SyscallGroups::Shipped() {
  auto text = EmbeddedPolicy(kGroupsDataName);
  if (!text) return Error::Internal("syscall group data is not embedded");
  return Parse(*text, "policies/syscall-groups.yaml");
}

bool SyscallGroups::Has(std::string_view group) const { return groups_.find(group) != groups_.end(); }

Result<std::set<std::string>> SyscallGroups::Expand(std::string_view group) const {
  std::set<std::string> out;
  std::set<std::string> seen;
  std::vector<std::string> todo = {std::string(group)};
  while (!todo.empty()) {
    std::string g = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(g).second) continue;
    auto it = groups_.find(g);
    if (it == groups_.end()) return Error::NotFound("unknown syscall group '@" + g + "'");
    for (const std::string& m : it->second) {
      if (m.starts_with("@"))
        todo.push_back(m.substr(1));
      else
        out.insert(m);
    }
  }
  return out;
}

std::vector<std::string> SyscallGroups::Names() const {
  std::vector<std::string> names;
  for (const auto& [k, v] : groups_) names.push_back(k);
  return names;
}

}  // namespace rampart::security
