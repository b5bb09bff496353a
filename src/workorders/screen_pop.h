#pragma once
// The screen pop's cards: each customer found for a caller's number with what
// the agent needs before saying hello — their open work orders and their
// latest calls. Served by GET /api/v1/customers/lookup and carried by the
// call.offered and call.customers events.

#include <boost/json/array.hpp>
#include <vector>

#include "crm/customers.h"
#include "store/database.h"

namespace ting::workorders {

inline constexpr int kPopOpenOrders = 5;
inline constexpr int kPopRecentCalls = 3;

// `mask_phones`: numbers as 138****8000 (roles that need not see them).
Result<boost::json::array> screenPopCards(store::Session& s, std::int64_t tenant_id,
                                          const std::vector<crm::Customer>& customers,
                                          bool mask_phones);

}  // namespace ting::workorders
