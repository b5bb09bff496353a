#pragma once
// The SIP side of Ting on sofia-sip's nua, run on its own su_root thread.
// Ting owns SDP and media: nua runs with media disabled and Ting's SDP is
// sent verbatim. Other threads never call sofia-sip: they post commands here
// (a queue plus an eventfd registered with su_root), and the stack reports to
// a SipListener from its thread. Calls are known by a LegId, never by a
// nua handle, outside this file.
//
// What the stack decides by itself, without call control: OPTIONS, REGISTER
// with digest auth (the registrar), authenticating INVITEs that do not come
// from a trunk, throttling sources that fail authentication, and 503 while
// draining.

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "sip/directory.h"

namespace ting::sip {

using LegId = std::uint64_t;

struct SipConfig {
  std::string listen_host = "0.0.0.0";
  std::uint16_t port = 5060;
  std::string advertised_host;  // empty: the listen address (or the first local address)
  std::string user_agent = "Ting";
  int registration_min_s = 60;
  int registration_max_s = 3600;
  int auth_max_failures = 10;
  int auth_window_s = 60;
  int auth_block_s = 600;
  std::string nonce_secret;  // random per process when empty
};

// An INVITE that passed authentication, for call control to decide on.
struct IncomingCall {
  LegId leg = 0;
  std::string sip_call_id;
  std::string from_user, from_display, from_host;
  std::string to_user;       // the dialled number (request-URI user, else To)
  std::string transport;     // "udp" or "tcp"
  sockaddr_in source{};
  std::int64_t tenant_id = 0;
  std::int64_t trunk_id = 0;         // when it came from a trunk
  std::string authenticated_user;    // the extension, when a phone authenticated
  std::string sdp;
};

struct Registration {
  std::int64_t tenant_id = 0;
  std::string extension;
  std::string contact;       // the URI to reach the phone (NAT-corrected)
  std::string source;        // ip:port the REGISTER came from
  std::string transport;
  std::string user_agent;
  std::int64_t expires_at_ms = 0;
};

// What Ting proves itself with to a provider's trunk.
struct TrunkCredentials {
  std::string username;
  std::string password;
};

class SipListener {
 public:
  virtual ~SipListener() = default;
  virtual void onIncomingCall(IncomingCall call) = 0;
  // A re-INVITE in an established call (hold/resume): answer with
  // respondReinvite().
  virtual void onReinvite(LegId leg, std::string sdp) = 0;
  // The final response to an INVITE Ting sent (200 with the answer SDP, or a
  // failure status).
  virtual void onOutgoingAnswer(LegId leg, int status, std::string sdp) = 0;
  // The leg is gone: BYE, CANCEL, failure or timeout. `by_remote`: the far
  // end ended it. `status` is the SIP status where one applies.
  virtual void onTerminated(LegId leg, bool by_remote, int status, std::string cause) = 0;
  // The final response to a re-INVITE Ting sent with reinvite().
  virtual void onReinviteAnswer(LegId /*leg*/, int /*status*/, std::string /*sdp*/) {}
};

class SipStack {
 public:
  SipStack(SipConfig config, SipDirectory& directory, SipListener* listener, const Clock& clock,
           MetricsRegistry* metrics);
  ~SipStack();

  // Binds UDP and TCP and starts the SIP thread. kUnavailable if binding fails.
  Status start();
  void stop();
  // From now on new INVITEs get 503 (SIGTERM drain); calls in progress go on.
  void drain() { draining_.store(true); }

  const std::string& advertisedHost() const { return advertised_host_; }
  std::uint16_t port() const { return config_.port; }

  // Commands (thread-safe, asynchronous).
  void ringing(LegId leg);
  // 200 OK with our SDP.
  void answer(LegId leg, std::string sdp);
  // A final failure response with the standard reason phrase;
  // retry_after_s > 0 adds Retry-After (503).
  void reject(LegId leg, int status, int retry_after_s = 0);
  void respondReinvite(LegId leg, int status, std::string sdp);
  // BYE for an established call, CANCEL for one still ringing.
  void hangup(LegId leg);
  // A re-INVITE with `sdp` in an established call (hold and resume of a
  // phone); the answer arrives in onReinviteAnswer. Ignored before answer.
  void reinvite(LegId leg, std::string sdp);
  // An outgoing call to `target_uri`; the answer arrives in onOutgoingAnswer.
  // With credentials, a 401/407 challenge is answered once (per challenge
  // round, at most twice) with digest authentication.
  LegId invite(std::string target_uri, std::string from_uri, std::string sdp,
               std::optional<TrunkCredentials> credentials = std::nullopt);

  // The registrar's bindings (thread-safe snapshot of unexpired ones).
  std::vector<Registration> registrations(std::int64_t tenant_id) const;
  std::optional<Registration> findRegistration(std::int64_t tenant_id,
                                               const std::string& extension) const;

  struct Impl;

 private:
  SipConfig config_;
  std::string advertised_host_;
  std::atomic<bool> draining_{false};
  std::atomic<LegId> next_leg_{1};
  std::unique_ptr<Impl> impl_;
};

}  // namespace ting::sip
