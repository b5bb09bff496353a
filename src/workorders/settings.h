#pragma once
// A tenant's work-order settings (reopen and repeat windows, which types get a
// follow-up call, display names of states, remedy limits per role) and its
// category tree.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "identity/role.h"
#include "store/store.h"

namespace ting::workorders {

struct Settings {
  std::string time_zone = "Asia/Shanghai";  // local day of references
  int reopen_window_days = 30;
  int repeat_window_days = 30;
  int rehandle_escalation = 3;  // handled again this many times: escalated
  std::vector<std::string> follow_up_types = {"complaint"};
  // Follow-up callbacks that may miss the customer before the work order
  // closes without their answer.
  int follow_up_attempts = 3;
  boost::json::object state_names;  // {"new": {"zh": "新建", "en": "New"}, ...}
  // Compensation a role may offer without approval, in cents; -1: no limit.
  std::map<std::string, std::int64_t> remedy_limits;
};

// Display names Ting ships, in Chinese and English.
const boost::json::object& defaultStateNames();
std::map<std::string, std::int64_t> defaultRemedyLimits();
// The limit of `role`: 0 when the role has none set.
std::int64_t remedyLimit(const Settings& s, identity::Role role);

Result<Settings> loadSettings(store::Session& s, std::int64_t tenant_id);
// The same, deferred: `out` is filled at the session's next round trip (see
// store::Session::defer), so several loads can share one.
Status loadSettingsLater(store::Session& s, std::int64_t tenant_id, Settings& out);
boost::json::object toJson(const Settings& s);
// Applies a PATCH body (fields named in errors) and saves; audited.
Result<Settings> updateSettings(store::Tx& tx, const boost::json::object& patch);

inline constexpr const char* kTypes[] = {"complaint", "inquiry", "suggestion", "praise"};
inline constexpr const char* kComplainantTypes[] = {"matter_of_fact", "attitude", "opinion"};
inline constexpr const char* kPriorities[] = {"low", "normal", "high", "urgent"};
// Whether `v` is one of `options` (kTypes, kPriorities...).
template <std::size_t N>
bool oneOf(const std::string& v, const char* const (&options)[N]) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

inline constexpr const char* kChannels[] = {"phone",  "web",     "email",  "chat",
                                            "letter", "walk_in", "social", "other"};

struct Category {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id;
  std::string name;
  std::string name_en;
  int position = 0;
  bool active = true;
};
boost::json::object toJson(const Category& c);
Result<std::vector<Category>> listCategories(store::Session& s, std::int64_t tenant_id);
Status listCategoriesLater(store::Session& s, std::int64_t tenant_id, std::vector<Category>& out);
// The category and everything below it.
Result<std::vector<std::int64_t>> categorySubtree(store::Session& s, std::int64_t tenant_id,
                                                  std::int64_t id);
// The category and its ancestors, nearest first.
Result<std::vector<std::int64_t>> categoryPath(store::Session& s, std::int64_t tenant_id,
                                               std::int64_t id);
std::vector<std::int64_t> categoryPath(const std::vector<Category>& all, std::int64_t id);

struct CategoryFields {
  std::optional<std::optional<std::int64_t>> parent_id;
  std::optional<std::string> name;
  std::optional<std::string> name_en;
  std::optional<int> position;
  std::optional<bool> active;
};
Result<Category> createCategory(store::Tx& tx, const CategoryFields& f);
// A parent may not be the category itself or below it.
Result<Category> updateCategory(store::Tx& tx, std::int64_t id, const CategoryFields& f);

}  // namespace ting::workorders
