#pragma once
// The IVR flow each inbound number (DID) of each tenant runs right now.
// Publishing a flow swaps the entry atomically: new calls get the new
// version, calls in progress keep the shared_ptr to theirs.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ivr/flow.h"

namespace ting::calls {

struct FlowRef {
  std::int64_t flow_id = 0;
  int version = 0;
  std::shared_ptr<const ivr::Flow> flow;  // shared: every call on this version holds it
};

class FlowRegistry {
 public:
  // Points `number` of `tenant_id` at a flow (replacing what it pointed at).
  void setDid(std::int64_t tenant_id, const std::string& number, std::int64_t flow_id);
  void removeDid(std::int64_t tenant_id, const std::string& number);
  // Replaces every number at once (a reload): numbers not listed stop routing.
  void replaceDids(
      const std::vector<std::tuple<std::int64_t, std::string, std::int64_t>>& dids);
  // Makes `ref` the current version of its flow.
  void publish(std::int64_t tenant_id, FlowRef ref);
  std::optional<FlowRef> forDid(std::int64_t tenant_id, const std::string& number) const;
  std::optional<FlowRef> current(std::int64_t tenant_id, std::int64_t flow_id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> dids_;  // guarded by mu_
  std::map<std::pair<std::int64_t, std::int64_t>, FlowRef> flows_;     // guarded by mu_
};

}  // namespace ting::calls
