#include "calls/flow_registry.h"

namespace ting::calls {

void FlowRegistry::setDid(std::int64_t tenant_id, const std::string& number,
                          std::int64_t flow_id) {
  std::lock_guard lock(mu_);
  dids_[{tenant_id, number}] = flow_id;
}

void FlowRegistry::removeDid(std::int64_t tenant_id, const std::string& number) {
  std::lock_guard lock(mu_);
  dids_.erase({tenant_id, number});
}

void FlowRegistry::replaceDids(
    const std::vector<std::tuple<std::int64_t, std::string, std::int64_t>>& dids) {
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> next;
  for (const auto& [tenant, number, flow] : dids) next[{tenant, number}] = flow;
  std::lock_guard lock(mu_);
  dids_.swap(next);
}

void FlowRegistry::publish(std::int64_t tenant_id, FlowRef ref) {
  std::lock_guard lock(mu_);
  flows_[{tenant_id, ref.flow_id}] = std::move(ref);
}

std::optional<FlowRef> FlowRegistry::forDid(std::int64_t tenant_id,
                                            const std::string& number) const {
  std::lock_guard lock(mu_);
  auto d = dids_.find({tenant_id, number});
  if (d == dids_.end()) return std::nullopt;
  auto f = flows_.find({tenant_id, d->second});
  if (f == flows_.end() || !f->second.flow) return std::nullopt;
  return f->second;
}

std::optional<FlowRef> FlowRegistry::current(std::int64_t tenant_id, std::int64_t flow_id) const {
  std::lock_guard lock(mu_);
  auto f = flows_.find({tenant_id, flow_id});
  if (f == flows_.end()) return std::nullopt;
  return f->second;
}

}  // namespace ting::calls
