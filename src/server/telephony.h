#pragma once
// Telephony wired together: SIP stack, media engine, call control, call
// records, the SIP directory and IVR flows loaded from the store, and the
// prompt cache. Started after storage and before HTTP; stopped in reverse.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calls/call_control.h"
#include "calls/call_records.h"
#include "calls/flow_registry.h"
#include "common/config.h"
#include "common/event_bus.h"
#include "common/metrics.h"
#include "common/secret_box.h"
#include "media/media_engine.h"
#include "sip/directory.h"
#include "sip/sip_stack.h"
#include "store/store.h"

namespace ting::tts {
class PromptCache;
}

namespace ting::server {

class Telephony {
 public:
  Telephony(const Config& config, store::Store& store, EventBus& bus, MetricsRegistry& metrics);
  ~Telephony();

  // The addresses the demo tenant owns as SIP aliases and trusted trunk.
  static std::vector<std::string> demoAliases(const Config& config);

  Status start();
  // SIGTERM: new calls get 503 from now on.
  void drain();
  // Lets calls finish for up to `drain_s`, then hangs up and stops.
  void stop(int drain_s);

  // Re-reads SIP tenants, accounts and trunks (after an admin change).
  Status reloadDirectory();
  // Re-reads DIDs and the current version of every flow.
  Status reloadFlows();
  // Re-reads queues, members, agents' skills and tenants' agent policies.
  Status reloadAcd();
  // Queued callbacks still waiting when Ting last stopped go back to their places.
  Status restoreCallbacks();

  calls::CallControl& calls() { return *calls_; }
  sip::SipStack& sip() { return *sip_; }
  tts::PromptCache& prompts() { return *prompt_cache_; }
  // The installation's key for trunk secrets (loaded by start()).
  const SecretKey& secretKey() const { return *secret_key_; }
  calls::FlowRegistry& flows() { return flows_; }

 private:
  class Prompts;
  const Config& config_;
  store::Store& store_;
  EventBus& bus_;
  MetricsRegistry& metrics_;
  std::optional<SecretKey> secret_key_;  // opens outbound trunk passwords
  sip::SipDirectory directory_;
  calls::FlowRegistry flows_;
  std::unique_ptr<tts::PromptCache> prompt_cache_;
  std::unique_ptr<Prompts> prompt_source_;
  class Customers;
  std::unique_ptr<Customers> customers_;
  std::unique_ptr<calls::CallRecords> records_;
  std::unique_ptr<calls::CallControl> calls_;
  std::unique_ptr<media::MediaEngine> media_;
  std::unique_ptr<sip::SipStack> sip_;
  bool started_ = false;
};

// "host:port" → parts; kInvalidValue naming `key` when malformed.
Status splitHostPort(const std::string& text, const std::string& key, std::string& host,
                     std::uint16_t& port);

}  // namespace ting::server
