#pragma once
// Work-order views users save for themselves (docs/workorders.md "Views"): a
// name and the list filters of GET /api/v1/work-orders, kept as the query
// parameters they are, so that a view means what the same query means.
// A view is its owner's; team leads and up may share theirs with the tenant.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "identity/role.h"
#include "store/store.h"

namespace ting::workorders {

struct SavedView {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t owner_id = 0;
  std::string owner;  // username
  std::string name;
  std::map<std::string, std::string> filters;
  bool shared = false;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

inline constexpr std::size_t kMaxSavedViewsPerUser = 50;

boost::json::object toJson(const SavedView& v);

// The user's own views and those shared in the tenant, by name.
Result<std::vector<SavedView>> listSavedViews(store::Session& s, std::int64_t tenant_id,
                                              std::int64_t user_id);
// One view the user may use (theirs or shared); kNotFound otherwise.
Result<SavedView> getSavedView(store::Session& s, std::int64_t tenant_id, std::int64_t user_id,
                               std::int64_t id);
// `v.filters` must already be checked by the caller (they are the list's).
Result<SavedView> createSavedView(store::Tx& tx, SavedView v);
Result<SavedView> updateSavedView(store::Tx& tx, const SavedView& v);
// Only the owner or an admin changes or deletes a view: kPermissionDenied.
Status mayChangeSavedView(const SavedView& v, std::int64_t user_id, identity::Role role);
Status deleteSavedView(store::Tx& tx, std::int64_t id);

}  // namespace ting::workorders
