#include "identity/role.h"

namespace ting::identity {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kTeamLead:
      return "team_lead";
    case Role::kQaInspector:
      return "qa_inspector";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAdmin:
      return "admin";
    case Role::kDepartment:
      return "department";
    case Role::kOperator:
      return "operator";
  }
  return "unknown";
}

const std::vector<Role>& allRoles() {
  static const std::vector<Role> kRoles = {Role::kAgent,      Role::kTeamLead, Role::kQaInspector,
                                           Role::kSupervisor, Role::kAdmin,    Role::kDepartment,
                                           Role::kOperator};
  return kRoles;
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role r : allRoles()) {
    if (roleName(r) == name) return r;
  }
  return std::nullopt;
}

std::vector<std::string_view> RoleSet::names() const {
  std::vector<std::string_view> out;
  for (Role r : allRoles()) {
    if (contains(r)) out.push_back(roleName(r));
  }
  return out;
}

}  // namespace ting::identity
