#pragma once
// Roles a user can hold. Each user has exactly one, within one tenant; the
// operator role exists only in the reserved tenant "system".

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ting::identity {

enum class Role : std::uint8_t {
  kAgent,
  kTeamLead,
  kQaInspector,
  kSupervisor,
  kAdmin,
  kDepartment,
  kOperator,
};

inline constexpr std::string_view kSystemTenant = "system";

std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);
const std::vector<Role>& allRoles();

// Roles that need not see customers' whole phone numbers get them masked
// (138****8000): QA inspectors judge how calls were handled, not who called.
constexpr bool masksPhoneNumbers(Role role) { return role == Role::kQaInspector; }

// A set of roles, for "who may call this route" and "who may see this topic".
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= bit(r);
  }
  static constexpr RoleSet everyone() {
    RoleSet s;
    s.bits_ = 0x7f;
    return s;
  }
  constexpr bool contains(Role r) const { return (bits_ & bit(r)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  std::vector<std::string_view> names() const;

 private:
  static constexpr std::uint32_t bit(Role r) { return 1u << static_cast<unsigned>(r); }
  std::uint32_t bits_ = 0;
};

}  // namespace ting::identity
