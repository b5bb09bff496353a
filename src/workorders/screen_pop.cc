#include "workorders/screen_pop.h"

#include "workorders/work_orders.h"

namespace ting::workorders {

Result<boost::json::array> screenPopCards(store::Session& s, std::int64_t tenant_id,
                                          const std::vector<crm::Customer>& customers,
                                          bool mask_phones) {
  boost::json::array cards;
  for (const auto& c : customers) {
    TING_ASSIGN_OR_RETURN(auto orders, openWorkOrdersOf(s, tenant_id, c.id, kPopOpenOrders));
    boost::json::array open;
    for (const auto& w : orders) {
      open.push_back({{"id", w.id},
                      {"reference", w.reference},
                      {"type", w.type},
                      {"state", stateName(w.state)},
                      {"subject", w.subject},
                      {"sla_breached", w.sla_breached},
                      {"created_at", formatTimestamp(w.created_at)}});
    }
    // The latest calls, by the index on (tenant, customer, arrival).
    TING_ASSIGN_OR_RETURN(
        auto calls,
        s.query("SELECT call_ref, direction, arrived_at, state, end_cause, queue, agent_staff_no, "
                "satisfaction FROM calls WHERE tenant_id = ? AND customer_id = ? ORDER BY "
                "arrived_at DESC LIMIT ?",
                {tenant_id, c.id, std::int64_t{kPopRecentCalls}}));
    boost::json::array recent;
    auto text = [](const store::Row& r, std::size_t i) -> boost::json::value {
      return r.isNull(i) ? boost::json::value(nullptr) : boost::json::value(r.text(i));
    };
    for (const auto& r : calls) {
      recent.push_back({{"call_id", r.text(0)},
                        {"direction", r.text(1)},
                        {"at", formatTimestamp(r.integer(2))},
                        {"state", r.text(3)},
                        {"end_cause", text(r, 4)},
                        {"queue", text(r, 5)},
                        {"agent", text(r, 6)},
                        {"satisfaction", r.isNull(7) ? boost::json::value(nullptr)
                                                     : boost::json::value(r.integer(7))}});
    }
    boost::json::object card = crm::toJson(c, mask_phones);
    card["open_work_orders"] = std::move(open);
    card["recent_calls"] = std::move(recent);
    cards.push_back(std::move(card));
  }
  return cards;
}

}  // namespace ting::workorders
