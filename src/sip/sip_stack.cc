#include "sip/sip_stack.h"

// Ting's own magic types for sofia-sip's opaque user pointers.
#define NUA_MAGIC_T void
#define NUA_HMAGIC_T void
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T void

#include <arpa/inet.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_wait.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <future>
#include <map>
#include <unordered_map>

#include "common/crypto.h"
#include "sip/digest.h"

namespace ting::sip {
namespace {

std::string str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

std::string addressText(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}


std::once_flag su_init_once;

}  // namespace

struct SipStack::Impl {
  struct Leg {
    nua_handle_t* nh = nullptr;
    bool incoming = true;
    bool answered = false;
    bool bye_from_remote = false;
    bool cancelled = false;
    int final_status = 0;
    bool reported = false;
    std::optional<TrunkCredentials> credentials;  // outgoing through a trunk
    int auth_attempts = 0;
    bool reinviting = false;  // a re-INVITE Ting sent awaits its answer
    std::string next_reinvite;  // then this one goes (the latest wins)
  };

  void sendReinvite(Leg& leg, const std::string& sdp) {
    leg.reinviting = true;
    nua_invite(leg.nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
               SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
  }

  SipStack& owner;
  SipDirectory& directory;
  SipListener* listener;
  const Clock& clock;
  NonceIssuer nonces;
  AuthThrottle throttle;

  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  int wake_fd = -1;
  su_wait_t wait[1] = {};
  std::thread thread;
  bool shut_down = false;

  std::mutex mu;
  std::deque<std::function<void()>> commands;  // guarded by mu

  // SIP thread only.
  std::unordered_map<LegId, Leg> legs;
  std::unordered_map<nua_handle_t*, LegId> by_handle;

  mutable std::mutex reg_mu;
  std::multimap<std::pair<std::int64_t, std::string>, Registration> bindings;  // guarded by reg_mu

  Counter* invites = nullptr;
  Counter* auth_failures = nullptr;
  Counter* blocked_requests = nullptr;
  Counter* registers = nullptr;

  Impl(SipStack& o, SipDirectory& d, SipListener* l, const Clock& c, const SipConfig& cfg)
      : owner(o),
        directory(d),
        listener(l),
        clock(c),
        nonces(cfg.nonce_secret.empty() ? randomToken(32) : cfg.nonce_secret),
        throttle(cfg.auth_max_failures, std::chrono::seconds(cfg.auth_window_s),
                 std::chrono::seconds(cfg.auth_block_s)) {}

  void post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu);
      commands.push_back(std::move(fn));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  static int onWake(void* magic, su_wait_t*, void*) {
    auto* self = static_cast<Impl*>(magic);
    std::uint64_t count;
    [[maybe_unused]] auto n = ::read(self->wake_fd, &count, sizeof count);
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(self->mu);
      batch.swap(self->commands);
    }
    for (auto& fn : batch) fn();
    return 0;
  }

  static void onEvent(nua_event_t event, int status, char const* phrase, nua_t* nua, void* magic,
                      nua_handle_t* nh, void*, sip_t const* sip, tagi_t tags[]) {
    static_cast<Impl*>(magic)->handle(event, status, phrase, nua, nh, sip, tags);
  }

  Leg* legOf(nua_handle_t* nh, LegId* id = nullptr) {
    auto it = by_handle.find(nh);
    if (it == by_handle.end()) return nullptr;
    if (id != nullptr) *id = it->second;
    return &legs[it->second];
  }

  void forget(nua_handle_t* nh) {
    auto it = by_handle.find(nh);
    if (it != by_handle.end()) {
      legs.erase(it->second);
      by_handle.erase(it);
    }
    nua_handle_destroy(nh);
  }

  void handle(nua_event_t event, int status, char const* phrase, nua_t* nua_, nua_handle_t* nh,
              sip_t const* sip, tagi_t tags[]) {
    switch (event) {
      case nua_i_invite:
        onInvite(nh, sip);
        break;
      case nua_i_cancel:
        if (Leg* leg = legOf(nh)) leg->cancelled = true;
        break;
      case nua_i_bye:
        if (Leg* leg = legOf(nh)) leg->bye_from_remote = true;
        break;
      case nua_r_invite:
        onInviteResponse(nh, status, sip);
        break;
      case nua_i_state:
        onState(nh, status, tags);
        break;
      case nua_i_register:
        onRegister(nh, sip);
        break;
      case nua_r_shutdown:
        if (status >= 200) su_root_break(root);
        break;
      case nua_i_terminated:
        if (legOf(nh) == nullptr && nh != nullptr) nua_handle_destroy(nh);
        break;
      default:
        break;
    }
  }

  // Where the request came from, as the transport saw it.
  sockaddr_in sourceOf() {
    sockaddr_in out{};
    msg_t* msg = nua_current_request(nua);
    if (msg == nullptr) return out;
    su_addrinfo_t* ai = msg_addrinfo(msg);
    if (ai != nullptr && ai->ai_addr != nullptr && ai->ai_family == AF_INET) {
      std::memcpy(&out, ai->ai_addr, sizeof out);
    }
    return out;
  }

  static std::string transportOf(sip_t const* sip) {
    if (sip->sip_via != nullptr && sip->sip_via->v_protocol != nullptr &&
        strcasestr(sip->sip_via->v_protocol, "TCP") != nullptr) {
      return "tcp";
    }
    return "udp";
  }

  // Checks digest credentials in `header` for `tenant`. Returns the
  // extension when they are good; otherwise has already responded.
  std::optional<std::string> authenticate(nua_handle_t* nh, sip_t const* sip,
                                          const SipTenant& tenant, const sockaddr_in& src,
                                          bool proxy) {
    const std::int64_t now = clock.nowMillis();
    const std::uint32_t addr = ntohl(src.sin_addr.s_addr);
    auto challenge = [&](bool stale) {
      std::string c = digestChallenge(tenant.realm, nonces.issue(now), stale);
      if (proxy) {
        nua_respond(nh, SIP_407_PROXY_AUTH_REQUIRED, NUTAG_WITH_THIS(nua),
                    SIPTAG_PROXY_AUTHENTICATE_STR(c.c_str()), TAG_END());
      } else {
        nua_respond(nh, SIP_401_UNAUTHORIZED, NUTAG_WITH_THIS(nua),
                    SIPTAG_WWW_AUTHENTICATE_STR(c.c_str()), TAG_END());
      }
    };
    const msg_auth_t* auth = proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
    // Use the credentials for our realm, if several are present.
    const msg_auth_t* mine = nullptr;
    std::optional<DigestCredentials> creds;
    for (const msg_auth_t* a = auth; a != nullptr; a = a->au_next) {
      std::vector<std::string_view> params;
      for (auto p = a->au_params; p != nullptr && *p != nullptr; ++p) params.emplace_back(*p);
      auto parsed = parseDigestCredentials(str(a->au_scheme), params);
      if (parsed && parsed->realm == tenant.realm) {
        mine = a;
        creds = std::move(*parsed);
        break;
      }
    }
    if (mine == nullptr) {
      challenge(false);
      return std::nullopt;
    }
    auto nonce_state = nonces.check(creds->nonce, now);
    if (nonce_state == NonceIssuer::Check::kStale) {
      challenge(true);
      return std::nullopt;
    }
    auto account = directory.account(tenant.id, creds->username);
    const char* method = sip->sip_request != nullptr ? sip->sip_request->rq_method_name : "";
    if (nonce_state == NonceIssuer::Check::kInvalid || !account ||
        !verifyDigest(*creds, account->ha1, method)) {
      if (auth_failures) auth_failures->inc();
      bool now_blocked = throttle.fail(addr, now);
      spdlog::warn("sip: authentication failed for user '{}' realm {} from {}{}", creds->username,
                   tenant.realm, addressText(src), now_blocked ? " (source now blocked)" : "");
      nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
      return std::nullopt;
    }
    throttle.succeed(addr);
    return creds->username;
  }

  bool refuseBlocked(nua_handle_t* nh, const sockaddr_in& src) {
    if (!throttle.blocked(ntohl(src.sin_addr.s_addr), clock.nowMillis())) return false;
    if (blocked_requests) blocked_requests->inc();
    nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
    return true;
  }

  void onInvite(nua_handle_t* nh, sip_t const* sip) {
    LegId existing = 0;
    if (legOf(nh, &existing) != nullptr) {
      std::string sdp = sip != nullptr && sip->sip_payload != nullptr
                            ? std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
                            : std::string();
      listener->onReinvite(existing, std::move(sdp));
      return;
    }
    if (invites) invites->inc();
    if (sip == nullptr || sip->sip_request == nullptr || sip->sip_from == nullptr) {
      nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(nua), TAG_END());
      return;
    }
    if (owner.draining_.load()) {
      nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(nua),
                  SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
      return;
    }
    const sockaddr_in src = sourceOf();
    if (refuseBlocked(nh, src)) return;
    IncomingCall call;
    call.source = src;
    call.transport = transportOf(sip);
    if (auto trunk = directory.trunkByAddress(ntohl(src.sin_addr.s_addr))) {
      call.tenant_id = trunk->tenant_id;
      call.trunk_id = trunk->id;
    } else {
      // A phone: the tenant by the domain it calls, and it must authenticate.
      std::string host = str(sip->sip_request->rq_url->url_host);
      auto tenant = directory.tenantByDomain(host);
      if (!tenant && sip->sip_from->a_url->url_host != nullptr) {
        tenant = directory.tenantByDomain(str(sip->sip_from->a_url->url_host));
      }
      if (!tenant) {
        nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
        return;
      }
      auto user = authenticate(nh, sip, *tenant, src, /*proxy=*/true);
      if (!user) return;
      call.tenant_id = tenant->id;
      call.authenticated_user = *user;
    }
    LegId id = owner.next_leg_.fetch_add(1);
    Leg leg;
    leg.nh = nh;
    legs[id] = leg;
    by_handle[nh] = id;
    call.leg = id;
    call.sip_call_id = sip->sip_call_id != nullptr ? str(sip->sip_call_id->i_id) : "";
    call.from_user = str(sip->sip_from->a_url->url_user);
    call.from_display = str(sip->sip_from->a_display);
    call.from_host = str(sip->sip_from->a_url->url_host);
    call.to_user = str(sip->sip_request->rq_url->url_user);
    if (call.to_user.empty() && sip->sip_to != nullptr) call.to_user = str(sip->sip_to->a_url->url_user);
    if (sip->sip_payload != nullptr) call.sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    listener->onIncomingCall(std::move(call));
  }

  void onInviteResponse(nua_handle_t* nh, int status, sip_t const* sip) {
    LegId id = 0;
    Leg* leg = legOf(nh, &id);
    if (leg == nullptr || status < 200) return;
    if (leg->reinviting) {
      leg->reinviting = false;
      std::string sdp;
      if (status < 300 && sip != nullptr && sip->sip_payload != nullptr) {
        sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
      }
      listener->onReinviteAnswer(id, status, std::move(sdp));
      if (!leg->next_reinvite.empty()) {
        sendReinvite(*leg, leg->next_reinvite);
        leg->next_reinvite.clear();
      }
      return;
    }
    if ((status == 401 || status == 407) && leg->credentials && leg->auth_attempts < 2 &&
        authenticate(nh, *leg, status == 401 ? sip->sip_www_authenticate
                                             : sip->sip_proxy_authenticate)) {
      return;  // the INVITE goes again with credentials; its answer comes here
    }
    std::string sdp;
    if (status < 300 && sip != nullptr && sip->sip_payload != nullptr) {
      sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    }
    if (status < 300) leg->answered = true;
    leg->final_status = status;
    listener->onOutgoingAnswer(id, status, std::move(sdp));
  }

  // Answers a digest challenge with the leg's credentials. The credentials
  // go to sofia as "scheme:\"realm\":user:password" and are never logged.
  bool authenticate(nua_handle_t* nh, Leg& leg, const msg_auth_t* challenge) {
    if (challenge == nullptr || challenge->au_scheme == nullptr) return false;
    const char* realm = msg_params_find(challenge->au_params, "realm=");
    if (realm == nullptr) return false;
    ++leg.auth_attempts;
    std::string credentials = std::string(challenge->au_scheme) + ":" + realm + ":" +
                              leg.credentials->username + ":" + leg.credentials->password;
    nua_authenticate(nh, NUTAG_AUTH(credentials.c_str()), TAG_END());
    std::fill(credentials.begin(), credentials.end(), '\0');
    return true;
  }

  void onState(nua_handle_t* nh, int status, tagi_t tags[]) {
    int state = nua_callstate_init;
    tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
    LegId id = 0;
    Leg* leg = legOf(nh, &id);
    if (leg == nullptr) {
      if (state == nua_callstate_terminated && nh != nullptr) nua_handle_destroy(nh);
      return;
    }
    if (state == nua_callstate_ready) leg->answered = true;
    if (state != nua_callstate_terminated) return;
    if (!leg->reported) {
      leg->reported = true;
      bool by_remote = leg->bye_from_remote || leg->cancelled ||
                       (!leg->incoming && leg->final_status >= 300);
      std::string cause = leg->cancelled         ? "cancel"
                          : leg->bye_from_remote ? "remote_bye"
                          : leg->final_status >= 300 ? "rejected"
                                                     : "local_bye";
      listener->onTerminated(id, by_remote, leg->final_status != 0 ? leg->final_status : status,
                             cause);
    }
    forget(nh);
  }

  void onRegister(nua_handle_t* nh, sip_t const* sip) {
    if (registers) registers->inc();
    auto done = [&] { nua_handle_destroy(nh); };
    if (sip == nullptr || sip->sip_to == nullptr || sip->sip_request == nullptr) {
      nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(nua), TAG_END());
      return done();
    }
    const sockaddr_in src = sourceOf();
    if (refuseBlocked(nh, src)) return done();
    std::string domain = str(sip->sip_to->a_url->url_host);
    auto tenant = directory.tenantByDomain(domain);
    if (!tenant) tenant = directory.tenantByDomain(str(sip->sip_request->rq_url->url_host));
    if (!tenant) {
      nua_respond(nh, SIP_404_NOT_FOUND, NUTAG_WITH_THIS(nua), TAG_END());
      return done();
    }
    auto user = authenticate(nh, sip, *tenant, src, /*proxy=*/false);
    if (!user) return done();
    const std::string extension = str(sip->sip_to->a_url->url_user);
    if (extension != *user) {
      nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
      return done();
    }
    const std::int64_t now = clock.nowMillis();
    const auto key = std::make_pair(tenant->id, extension);
    const std::string transport = transportOf(sip);
    int default_expires = sip->sip_expires != nullptr
                              ? static_cast<int>(sip->sip_expires->ex_delta)
                              : owner.config_.registration_max_s;
    std::lock_guard lock(reg_mu);
    // Drop expired bindings of this AOR.
    for (auto it = bindings.lower_bound(key); it != bindings.end() && it->first == key;) {
      it = it->second.expires_at_ms <= now ? bindings.erase(it) : std::next(it);
    }
    for (sip_contact_t const* m = sip->sip_contact; m != nullptr; m = m->m_next) {
      int expires = m->m_expires != nullptr ? std::atoi(m->m_expires) : default_expires;
      // RFC 3261 §10.3 step 6: "*" with Expires 0 removes every binding.
      const bool wildcard = m->m_url->url_type == url_any;
      if (wildcard) {
        if (expires != 0) {
          nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(nua), TAG_END());
          return done();
        }
        bindings.erase(key);
        continue;
      }
      if (expires != 0 && expires < owner.config_.registration_min_s) {
        std::string min = std::to_string(owner.config_.registration_min_s);
        nua_respond(nh, SIP_423_INTERVAL_TOO_BRIEF, NUTAG_WITH_THIS(nua),
                    SIPTAG_MIN_EXPIRES_STR(min.c_str()), TAG_END());
        return done();
      }
      expires = std::min(expires, owner.config_.registration_max_s);
      // NAT: reach the phone where its REGISTER came from, not where its
      // Contact says when the two differ.
      std::string user_part = str(m->m_url->url_user);
      std::string contact = "sip:" + (user_part.empty() ? "" : user_part + "@") + addressText(src);
      if (transport == "tcp") contact += ";transport=tcp";
      for (auto it = bindings.lower_bound(key); it != bindings.end() && it->first == key;) {
        it = it->second.contact == contact ? bindings.erase(it) : std::next(it);
      }
      if (expires == 0) continue;
      Registration r;
      r.tenant_id = tenant->id;
      r.extension = extension;
      r.contact = contact;
      r.source = addressText(src);
      r.transport = transport;
      r.user_agent = sip->sip_user_agent != nullptr ? str(sip->sip_user_agent->g_string) : "";
      r.expires_at_ms = now + std::int64_t{expires} * 1000;
      bindings.emplace(key, std::move(r));
    }
    // The 200 lists every current binding with its remaining time.
    std::string contacts;
    for (auto it = bindings.lower_bound(key); it != bindings.end() && it->first == key; ++it) {
      if (!contacts.empty()) contacts += ", ";
      contacts += "<" + it->second.contact + ">;expires=" +
                  std::to_string((it->second.expires_at_ms - now + 999) / 1000);
    }
    if (contacts.empty()) {
      nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua), TAG_END());
    } else {
      nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua), SIPTAG_CONTACT_STR(contacts.c_str()),
                  TAG_END());
    }
    spdlog::info("sip: {}@{} registered from {}", extension, tenant->realm, addressText(src));
    done();
  }
};

SipStack::SipStack(SipConfig config, SipDirectory& directory, SipListener* listener,
                   const Clock& clock, MetricsRegistry* metrics)
    : config_(std::move(config)) {
  impl_ = std::make_unique<Impl>(*this, directory, listener, clock, config_);
  if (metrics != nullptr) {
    impl_->invites = &metrics->counter("ting_sip_invites_total", "New INVITEs received.", "");
    impl_->auth_failures =
        &metrics->counter("ting_sip_auth_failures_total", "Failed SIP digest authentications.", "");
    impl_->blocked_requests = &metrics->counter(
        "ting_sip_blocked_total", "Requests refused from sources blocked after failures.", "");
    impl_->registers = &metrics->counter("ting_sip_registers_total", "REGISTERs received.", "");
  }
  advertised_host_ = config_.advertised_host.empty() ? config_.listen_host : config_.advertised_host;
  if (advertised_host_ == "0.0.0.0" || advertised_host_.empty()) advertised_host_ = "127.0.0.1";
}

SipStack::~SipStack() { stop(); }

Status SipStack::start() {
  std::call_once(su_init_once, [] { su_init(); });
  Impl* impl = impl_.get();
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::promise<Status> started;
  auto started_future = started.get_future();
  impl->thread = std::thread([this, impl, &started] {
    ::pthread_setname_np(::pthread_self(), "sip");
    impl->root = su_root_create(impl);
    if (impl->root == nullptr) {
      started.set_value(internalError("sip: cannot create su_root"));
      return;
    }
    // Bind the listen address, advertise the public one (sofia-sip's maddr).
    std::string url = "sip:" + advertised_host_ + ":" + std::to_string(config_.port);
    if (config_.listen_host != advertised_host_) url += ";maddr=" + config_.listen_host;
    impl->nua = nua_create(impl->root, &Impl::onEvent, impl, NUTAG_URL(url.c_str()),
                           NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0),
                           NUTAG_AUTOACK(1), NUTAG_APPL_METHOD("REGISTER"),
                           NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER"),
                           NUTAG_ENABLEMESSAGE(0), NUTAG_ENABLEINVITE(1),
                           NUTAG_USER_AGENT(config_.user_agent.c_str()), TAG_END());
    if (impl->nua == nullptr) {
      su_root_destroy(impl->root);
      impl->root = nullptr;
      started.set_value(unavailable("sip: cannot listen on " + config_.listen_host + ":" +
                                    std::to_string(config_.port)));
      return;
    }
    su_wait_create(impl->wait, impl->wake_fd, SU_WAIT_IN);
    su_root_register(impl->root, impl->wait, &Impl::onWake, nullptr, 0);
    started.set_value(Status::ok());
    su_root_run(impl->root);
    // Shut down: every handle goes with the nua object.
    nua_destroy(impl->nua);
    impl->nua = nullptr;
    su_root_destroy(impl->root);
    impl->root = nullptr;
  });
  Status s = started_future.get();
  if (!s.isOk()) {
    impl->thread.join();
    return s;
  }
  spdlog::info("sip: listening on {}:{} (udp, tcp), advertised as {}", config_.listen_host,
               config_.port, advertised_host_);
  return Status::ok();
}

void SipStack::stop() {
  Impl* impl = impl_.get();
  if (!impl || !impl->thread.joinable()) return;
  impl->post([impl] {
    if (impl->shut_down) return;
    impl->shut_down = true;
    nua_shutdown(impl->nua);
  });
  impl->thread.join();
  ::close(impl->wake_fd);
  impl->wake_fd = -1;
}

void SipStack::ringing(LegId leg) {
  impl_->post([impl = impl_.get(), leg] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end() || it->second.answered) return;
    nua_respond(it->second.nh, SIP_180_RINGING, TAG_END());
  });
}

void SipStack::answer(LegId leg, std::string sdp) {
  impl_->post([impl = impl_.get(), leg, sdp = std::move(sdp)] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end() || it->second.answered) return;
    it->second.answered = true;
    nua_respond(it->second.nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
  });
}

void SipStack::reject(LegId leg, int status, int retry_after_s) {
  impl_->post([impl = impl_.get(), leg, status, retry_after_s] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end() || it->second.answered) return;
    it->second.final_status = status;
    // nua keeps the phrase pointer until it sends (tags are copied, the
    // phrase is not): only static strings may go here.
    const char* phrase = sip_status_phrase(status);
    if (phrase == nullptr) phrase = "Request Failed";
    if (retry_after_s > 0) {
      std::string ra = std::to_string(retry_after_s);
      nua_respond(it->second.nh, status, phrase, SIPTAG_RETRY_AFTER_STR(ra.c_str()), TAG_END());
    } else {
      nua_respond(it->second.nh, status, phrase, TAG_END());
    }
  });
}

void SipStack::respondReinvite(LegId leg, int status, std::string sdp) {
  impl_->post([impl = impl_.get(), leg, status, sdp = std::move(sdp)] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end()) return;
    if (status == 200) {
      nua_respond(it->second.nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                  SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    } else {
      nua_respond(it->second.nh, status, sip_status_phrase(status), TAG_END());
    }
  });
}

void SipStack::hangup(LegId leg) {
  impl_->post([impl = impl_.get(), leg] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end()) return;
    Impl::Leg& l = it->second;
    if (l.answered) {
      nua_bye(l.nh, TAG_END());
    } else if (l.incoming) {
      l.final_status = 480;
      nua_respond(l.nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
    } else {
      nua_cancel(l.nh, TAG_END());
    }
  });
}

void SipStack::reinvite(LegId leg, std::string sdp) {
  impl_->post([impl = impl_.get(), leg, sdp = std::move(sdp)] {
    auto it = impl->legs.find(leg);
    if (it == impl->legs.end() || !it->second.answered) return;
    if (it->second.reinviting) {
      it->second.next_reinvite = sdp;
      return;
    }
    impl->sendReinvite(it->second, sdp);
  });
}

LegId SipStack::invite(std::string target_uri, std::string from_uri, std::string sdp,
                       std::optional<TrunkCredentials> credentials) {
  LegId id = next_leg_.fetch_add(1);
  impl_->post([impl = impl_.get(), id, target_uri = std::move(target_uri),
               from_uri = std::move(from_uri), sdp = std::move(sdp),
               credentials = std::move(credentials)] {
    nua_handle_t* nh = nua_handle(impl->nua, nullptr, NUTAG_URL(target_uri.c_str()),
                                  SIPTAG_TO_STR(target_uri.c_str()),
                                  SIPTAG_FROM_STR(from_uri.c_str()), TAG_END());
    if (nh == nullptr) {
      impl->listener->onOutgoingAnswer(id, 500, "");
      impl->listener->onTerminated(id, false, 500, "invalid_target");
      return;
    }
    Impl::Leg leg;
    leg.nh = nh;
    leg.incoming = false;
    leg.credentials = credentials;
    impl->legs[id] = leg;
    impl->by_handle[nh] = id;
    nua_invite(nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_END());
  });
  return id;
}

std::vector<Registration> SipStack::registrations(std::int64_t tenant_id) const {
  std::vector<Registration> out;
  const std::int64_t now = impl_->clock.nowMillis();
  std::lock_guard lock(impl_->reg_mu);
  for (const auto& [key, r] : impl_->bindings) {
    if (key.first == tenant_id && r.expires_at_ms > now) out.push_back(r);
  }
  return out;
}

std::optional<Registration> SipStack::findRegistration(std::int64_t tenant_id,
                                                       const std::string& extension) const {
  const std::int64_t now = impl_->clock.nowMillis();
  std::lock_guard lock(impl_->reg_mu);
  std::optional<Registration> best;
  auto key = std::make_pair(tenant_id, extension);
  for (auto it = impl_->bindings.lower_bound(key);
       it != impl_->bindings.end() && it->first == key; ++it) {
    if (it->second.expires_at_ms > now &&
        (!best || it->second.expires_at_ms > best->expires_at_ms)) {
      best = it->second;
    }
  }
  return best;
}

}  // namespace ting::sip
