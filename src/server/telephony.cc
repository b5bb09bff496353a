#include "server/telephony.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include <filesystem>

#include "common/event_loop.h"
#include "crm/customers.h"
#include "ivr/validate.h"
#include "media/recording_writer.h"
#include "tts/prompt_cache.h"
#include "workorders/screen_pop.h"

namespace ting::server {

Status splitHostPort(const std::string& text, const std::string& key, std::string& host,
                     std::uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return invalidValue(key + " must be host:port", key);
  }
  host = text.substr(0, colon);
  const std::string p = text.substr(colon + 1);
  if (p.size() > 5 || !std::all_of(p.begin(), p.end(), ::isdigit) || std::stoi(p) > 65535) {
    return invalidValue(key + " has an invalid port", key);
  }
  port = static_cast<std::uint16_t>(std::stoi(p));
  return Status::ok();
}

namespace {

// The fixed prompts of a flow (no ${variables}), to render before the first call.
std::vector<tts::PromptKey> promptKeysOf(const ivr::Flow& flow, std::int64_t tenant_id,
                                         const std::string& default_voice) {
  std::vector<tts::PromptKey> keys;
  auto add = [&](const ivr::PromptSpec& spec) {
    for (const auto& part : spec) {
      if (!part.file.empty()) {
        keys.push_back(tts::PromptKey::upload(tenant_id, part.file));
      } else if (!part.tts.empty() && part.tts.find("${") == std::string::npos) {
        std::string voice = !part.voice.empty() ? part.voice
                            : !flow.voice.empty() ? flow.voice
                                                  : default_voice;
        keys.push_back(tts::PromptKey::speech(voice, part.tts));
      }
    }
  };
  for (const auto& node : flow.nodes) {
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, ivr::MenuNode> || std::is_same_v<T, ivr::CollectNode>) {
            add(body.prompt);
            add(body.invalid_prompt);
            add(body.timeout_prompt);
          } else if constexpr (std::is_same_v<T, ivr::PlayNode> ||
                               std::is_same_v<T, ivr::VoicemailNode> ||
                               std::is_same_v<T, ivr::HangupNode>) {
            add(body.prompt);
          }
        },
        node.body);
  }
  return keys;
}

}  // namespace

// Prompts for call control from the TTS cache and the tenant's uploads.
class Telephony::Prompts final : public calls::PromptSource {
 public:
  Prompts(tts::PromptCache& cache, std::string default_voice)
      : cache_(cache), default_voice_(std::move(default_voice)) {}

  void fetch(std::int64_t tenant_id, const ivr::Prompt& prompt,
             std::function<void(Result<media::PcmPtr>)> done) override {
    tts::PromptKey key;
    if (!prompt.file.empty()) {
      key = tts::PromptKey::upload(tenant_id, prompt.file);
    } else {
      key = tts::PromptKey::speech(prompt.voice.empty() ? default_voice_ : prompt.voice,
                                   prompt.text);
    }
    cache_.request(key, [done = std::move(done)](Result<std::shared_ptr<const tts::Pcm>> r) {
      if (!r) return done(r.status());
      done(media::PcmPtr(*r));
    });
  }

 private:
  tts::PromptCache& cache_;
  std::string default_voice_;
};

// Screen pops: the CRM is read on a thread of its own, never on call control's.
class Telephony::Customers final : public calls::CustomerLookup {
 public:
  explicit Customers(store::Store& store) : store_(store), loop_("crm-lookup") { loop_.start(); }
  ~Customers() override { loop_.stop(); }

  void lookup(std::int64_t tenant_id, std::string number,
              std::function<void(calls::CustomerMatch)> done) override {
    loop_.post([this, tenant_id, number = std::move(number), done = std::move(done)] {
      calls::CustomerMatch match;
      Status s = store_.read([&](store::Session& session) -> Status {
        TING_ASSIGN_OR_RETURN(auto found, crm::findByNumber(session, tenant_id, number));
        for (const auto& c : found) match.ids.push_back(c.id);
        // Pops go to agents and up (the calls topic), who see numbers.
        TING_ASSIGN_OR_RETURN(auto cards,
                              workorders::screenPopCards(session, tenant_id, found, false));
        match.cards_json = boost::json::serialize(cards);
        return Status::ok();
      });
      if (!s.isOk()) spdlog::warn("screen pop lookup failed: {}", s.message());
      done(std::move(match));
    });
  }

 private:
  store::Store& store_;
  EventLoop loop_;
};

Telephony::Telephony(const Config& config, store::Store& store, EventBus& bus,
                     MetricsRegistry& metrics)
    : config_(config), store_(store), bus_(bus), metrics_(metrics) {}

Telephony::~Telephony() { stop(0); }

std::vector<std::string> Telephony::demoAliases(const Config& config) {
  std::vector<std::string> out = {"127.0.0.1"};
  std::string host;
  std::uint16_t port = 0;
  if (!config.sip_advertised.empty() && config.sip_advertised != "127.0.0.1") {
    out.push_back(config.sip_advertised);
  } else if (splitHostPort(config.sip_listen, "sip.listen", host, port).isOk() &&
             host != "0.0.0.0" && host != "127.0.0.1") {
    out.push_back(host);
  }
  return out;
}

Status Telephony::reloadDirectory() {
  sip::DirectorySnapshot snap;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(auto tenants,
                          s.query("SELECT id, sip_domain, max_calls FROM tenants WHERE "
                                  "sip_domain IS NOT NULL",
                                  {}));
    std::map<std::int64_t, size_t> index;
    for (const auto& r : tenants) {
      sip::SipTenant t;
      t.id = r.integer(0);
      t.realm = r.text(1);
      t.max_calls = static_cast<int>(r.integer(2));
      index[t.id] = snap.tenants.size();
      snap.tenants.push_back(std::move(t));
    }
    TING_ASSIGN_OR_RETURN(auto aliases, s.query("SELECT tenant_id, domain FROM sip_aliases", {}));
    for (const auto& r : aliases) {
      if (auto it = index.find(r.integer(0)); it != index.end()) {
        snap.tenants[it->second].domains.push_back(r.text(1));
      }
    }
    TING_ASSIGN_OR_RETURN(auto users,
                          s.query("SELECT tenant_id, id, sip_extension, sip_ha1 FROM users WHERE "
                                  "sip_extension IS NOT NULL AND sip_ha1 IS NOT NULL AND "
                                  "disabled = 0",
                                  {}));
    for (const auto& r : users) {
      snap.accounts.push_back({r.integer(0), r.integer(1), r.text(2), r.text(3)});
    }
    TING_ASSIGN_OR_RETURN(auto trunks,
                          s.query("SELECT id, tenant_id, name, inbound_address FROM trunks WHERE "
                                  "enabled = 1 AND inbound_address IS NOT NULL",
                                  {}));
    for (const auto& r : trunks) {
      sip::Trunk t;
      t.id = r.integer(0);
      t.tenant_id = r.integer(1);
      t.name = r.text(2);
      if (!sip::parseCidr(r.text(3), t.network, t.prefix)) {
        spdlog::warn("trunk {} has an invalid inbound address '{}'; ignored", t.name, r.text(3));
        continue;
      }
      snap.trunks.push_back(std::move(t));
    }
    TING_ASSIGN_OR_RETURN(auto outbound,
                          s.query("SELECT id, tenant_id, name, outbound_uri, username, secret_enc, "
                                  "caller_id FROM trunks WHERE enabled = 1 AND outbound_uri IS "
                                  "NOT NULL AND outbound_uri <> ''",
                                  {}));
    for (const auto& r : outbound) {
      sip::OutboundTrunk t;
      t.id = r.integer(0);
      t.tenant_id = r.integer(1);
      t.name = r.text(2);
      t.uri = r.text(3);
      t.username = r.isNull(4) ? "" : r.text(4);
      t.caller_id = r.isNull(6) ? "" : r.text(6);
      if (!r.isNull(5) && !r.text(5).empty()) {
        if (!secret_key_) continue;  // not started: nothing dials out yet
        auto plain = openSecret(*secret_key_, r.text(5));
        if (!plain) {
          spdlog::warn("trunk {}: its password does not open with this server's key ({}); "
                       "calls through it go without credentials",
                       t.name, plain.status().message());
        } else {
          t.password = std::move(*plain);
        }
      }
      snap.outbound.push_back(std::move(t));
    }
    return Status::ok();
  }));
  directory_.replace(std::move(snap));
  return Status::ok();
}

Status Telephony::reloadFlows() {
  struct Loaded {
    std::int64_t tenant_id, flow_id;
    int version;
    std::string document;
  };
  std::vector<Loaded> flows;
  std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> dids;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        auto rows,
        s.query("SELECT f.tenant_id, f.id, f.current_version, v.document FROM ivr_flows f JOIN "
                "ivr_flow_versions v ON v.flow_id = f.id AND v.version = f.current_version",
                {}));
    for (const auto& r : rows) {
      flows.push_back({r.integer(0), r.integer(1), static_cast<int>(r.integer(2)), r.text(3)});
    }
    TING_ASSIGN_OR_RETURN(auto d, s.query("SELECT tenant_id, number, flow_id FROM dids WHERE "
                                          "flow_id IS NOT NULL",
                                          {}));
    for (const auto& r : d) dids.emplace_back(r.integer(0), r.text(1), r.integer(2));
    return Status::ok();
  }));
  for (auto& f : flows) {
    auto current = flows_.current(f.tenant_id, f.flow_id);
    if (current && current->version == f.version) continue;
    ivr::ValidateOptions options;
    const std::int64_t tenant = f.tenant_id;
    options.prompt_exists = [this, tenant](std::string_view name) {
      return prompt_cache_->uploadExists(tenant, std::string(name));
    };
    auto compiled = ivr::compileFlow(f.document, options);
    if (!compiled) {
      spdlog::error("IVR flow {} version {} does not validate; not loaded: {}", f.flow_id,
                    f.version, compiled.status().message());
      continue;
    }
    flows_.publish(f.tenant_id, calls::FlowRef{f.flow_id, f.version, *compiled});
    prompt_cache_->prewarm(promptKeysOf(**compiled, f.tenant_id, config_.tts_voice));
  }
  flows_.replaceDids(dids);
  return Status::ok();
}

Status Telephony::reloadAcd() {
  calls::AcdSetup setup;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(auto tenants,
                          s.query("SELECT id, not_ready_reasons, max_missed_offers FROM tenants",
                                  {}));
    for (const auto& r : tenants) {
      calls::TenantAcdPolicy p;
      p.tenant_id = r.integer(0);
      p.policy.not_ready_reasons.clear();
      std::string list = r.text(1);
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) p.policy.not_ready_reasons.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
      p.policy.max_missed_offers = static_cast<int>(r.integer(2));
      setup.policies.push_back(std::move(p));
    }
    // Agents: every enabled agent, and anyone else who is a queue member.
    TING_ASSIGN_OR_RETURN(
        auto users,
        s.query("SELECT u.id, u.tenant_id, u.username, u.display_name, u.sip_extension FROM users u "
                "WHERE u.disabled = 0 AND (u.role = 'agent' OR EXISTS (SELECT 1 FROM "
                "queue_members m WHERE m.user_id = u.id)) ORDER BY u.id",
                {}));
    std::map<std::int64_t, size_t> index;
    for (const auto& r : users) {
      calls::AgentSetup a;
      a.user_id = r.integer(0);
      a.tenant_id = r.integer(1);
      a.staff_no = r.text(2);
      a.display_name = r.text(3);
      a.sip_extension = r.isNull(4) ? "" : r.text(4);
      index[a.user_id] = setup.agents.size();
      setup.agents.push_back(std::move(a));
    }
    TING_ASSIGN_OR_RETURN(auto skills, s.query("SELECT user_id, skill, level FROM agent_skills", {}));
    for (const auto& r : skills) {
      if (auto it = index.find(r.integer(0)); it != index.end()) {
        setup.agents[it->second].skills[r.text(1)] = static_cast<int>(r.integer(2));
      }
    }
    TING_ASSIGN_OR_RETURN(auto queues, s.query(std::string("SELECT ") + calls::kQueueColumns +
                                                   " FROM queues ORDER BY id",
                                               {}));
    std::map<std::int64_t, size_t> qindex;
    for (const auto& r : queues) {
      calls::QueueSetup q = calls::queueFromRow(r);
      qindex[q.id] = setup.queues.size();
      setup.queues.push_back(std::move(q));
    }
    TING_ASSIGN_OR_RETURN(auto members, s.query("SELECT queue_id, user_id, tier FROM "
                                                "queue_members ORDER BY id",
                                                {}));
    for (const auto& r : members) {
      if (auto it = qindex.find(r.integer(0)); it != qindex.end()) {
        setup.queues[it->second].members.push_back(
            {r.integer(1), static_cast<int>(r.integer(2))});
      }
    }
    return Status::ok();
  }));
  calls_->applyAcd(std::move(setup));
  return Status::ok();
}

Status Telephony::restoreCallbacks() {
  std::vector<calls::PendingCallback> pending;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        auto rows,
        s.query("SELECT r.tenant_id, r.call_ref, r.number, r.source, r.attempts, r.created_at, "
                "c.did, c.queued_at FROM callback_requests r LEFT JOIN calls c ON c.tenant_id = "
                "r.tenant_id AND c.call_ref = r.call_ref WHERE r.status IN ('queued', "
                "'retrying', 'dialing') AND r.source LIKE 'queue:%' ORDER BY r.id",
                {}));
    for (const auto& r : rows) {
      calls::PendingCallback p;
      p.tenant_id = r.integer(0);
      p.origin_ref = r.isNull(1) ? "" : r.text(1);
      p.number = r.text(2);
      p.queue = r.text(3).substr(6);  // after "queue:"
      p.attempts = static_cast<int>(r.integer(4));
      p.did = r.isNull(6) ? "" : r.text(6);
      p.queued_at = r.isNull(7) ? r.integer(5) : r.integer(7);
      pending.push_back(std::move(p));
    }
    return Status::ok();
  }));
  if (!pending.empty()) spdlog::info("{} queued callbacks back in their queues", pending.size());
  calls_->restoreCallbacks(std::move(pending));
  return Status::ok();
}

Status Telephony::start() {
  const std::filesystem::path data = config_.data_dir;
  std::string host;
  std::uint16_t port = 0;
  TING_RETURN_IF_ERROR(splitHostPort(config_.sip_listen, "sip.listen", host, port));

  // Recordings a crash cut short get their WAV sizes back before anything else.
  if (size_t n = media::repairRecordings(data / "recordings"); n > 0) {
    spdlog::warn("repaired {} recordings left incomplete by a crash", n);
  }
  prompt_cache_ = std::make_unique<tts::PromptCache>(data / "prompts");
  prompt_source_ = std::make_unique<Prompts>(*prompt_cache_, config_.tts_voice);
  TING_ASSIGN_OR_RETURN(auto key, loadOrCreateSecretKey(data));
  secret_key_.emplace(std::move(key));
  TING_RETURN_IF_ERROR(reloadDirectory());
  TING_RETURN_IF_ERROR(reloadFlows());

  records_ = std::make_unique<calls::CallRecords>(store_);
  calls::CallControlConfig cc;
  cc.max_calls = config_.sip_max_calls;
  cc.data_dir = data;
  cc.answer_delay_ms = config_.sip_answer_delay;
  calls_ = std::make_unique<calls::CallControl>(cc, directory_, flows_, *prompt_source_, *records_,
                                                bus_, SystemClock::instance(), &metrics_);
  media::MediaConfig mc;
  mc.bind_address = host;
  mc.port_min = static_cast<std::uint16_t>(config_.rtp_port_min);
  mc.port_max = static_cast<std::uint16_t>(config_.rtp_port_max);
  mc.loops = config_.media_loops;
  mc.rtp_timeout_s = config_.rtp_timeout;
  mc.realtime_priority = config_.media_realtime_priority;
  media_ = std::make_unique<media::MediaEngine>(mc, calls_.get(), &metrics_);
  sip::SipConfig sc;
  sc.listen_host = host;
  sc.port = port;
  sc.advertised_host = config_.sip_advertised;
  sc.user_agent = std::string("Ting/") + TING_VERSION;
  sc.auth_max_failures = config_.sip_auth_max_failures;
  sc.auth_block_s = config_.sip_auth_block;
  sip_ = std::make_unique<sip::SipStack>(sc, directory_, calls_.get(), SystemClock::instance(),
                                         &metrics_);
  calls_->attach(sip_.get(), media_.get());
  customers_ = std::make_unique<Customers>(store_);
  calls_->setCustomerLookup(customers_.get());
  records_->start();
  // Recording retention: at start, then hourly.
  records_->startRetention(data, SystemClock::instance(), std::chrono::hours(1));
  TING_RETURN_IF_ERROR(media_->start());
  calls_->start();
  TING_RETURN_IF_ERROR(reloadAcd());
  TING_RETURN_IF_ERROR(restoreCallbacks());
  TING_RETURN_IF_ERROR(sip_->start());
  started_ = true;
  return Status::ok();
}

void Telephony::drain() {
  if (sip_) sip_->drain();
}

void Telephony::stop(int drain_s) {
  if (!started_) return;
  started_ = false;
  sip_->drain();
  calls_->stop(std::chrono::seconds(drain_s));
  customers_.reset();  // lookups still running answer a stopped loop
  sip_->stop();
  media_->stop();  // closes the recordings still open
  records_->stop();
  spdlog::info("telephony stopped");
}

}  // namespace ting::server
