#include "common/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace ting {

std::string Config::databaseUrl() const {
  if (!db.empty()) return db;
  return data_dir + "/ting.db";
}

namespace {

ConfigKey base(std::string key, std::string env, std::string flag, ConfigKind kind,
               std::string doc) {
  ConfigKey k;
  k.key = std::move(key);
  k.env = std::move(env);
  k.flag = std::move(flag);
  k.kind = kind;
  k.doc = std::move(doc);
  return k;
}

ConfigKey str(std::string key, std::string env, std::string flag, std::string doc,
              std::string Config::*member, std::vector<std::string> choices = {}) {
  ConfigKey k =
      base(std::move(key), std::move(env), std::move(flag), ConfigKind::kString, std::move(doc));
  k.choices = std::move(choices);
  k.set = [member](Config& c, const std::string& v) { c.*member = v; };
  k.get = [member](const Config& c) { return c.*member; };
  return k;
}

template <class T>
ConfigKey num(std::string key, std::string env, std::string doc, T Config::*member,
              std::int64_t min, std::int64_t max) {
  ConfigKey k = base(std::move(key), std::move(env), "", ConfigKind::kInt, std::move(doc));
  k.min = min;
  k.max = max;
  k.set = [member](Config& c, const std::string& v) { c.*member = static_cast<T>(std::stoll(v)); };
  k.get = [member](const Config& c) { return std::to_string(c.*member); };
  return k;
}

ConfigKey flag(std::string key, std::string env, std::string flag_name, std::string doc,
               bool Config::*member) {
  ConfigKey k =
      base(std::move(key), std::move(env), std::move(flag_name), ConfigKind::kBool, std::move(doc));
  k.set = [member](Config& c, const std::string& v) { c.*member = v == "true"; };
  k.get = [member](const Config& c) { return std::string(c.*member ? "true" : "false"); };
  return k;
}

std::vector<ConfigKey> buildKeys() {
  std::vector<ConfigKey> keys;
  keys.push_back(str("server.data_dir", "TING_DATA", "--data",
                     "Data directory: SQLite database, recordings, prompts, search index, logs.",
                     &Config::data_dir));
  keys.push_back(str("server.db", "TING_DB", "--db",
                     "Database: a SQLite file path, or postgresql://user@host:port/db. Empty "
                     "means SQLite at <data_dir>/ting.db.",
                     &Config::db));
  keys.push_back(str("http.listen", "TING_HTTP", "--http",
                     "Address and port of the HTTP API, WebSocket and web console.",
                     &Config::http_listen));
  keys.push_back(
      num("http.threads", "TING_HTTP_THREADS",
          "HTTP I/O threads, which also run the handlers (they may wait on the database); "
          "0 means four per core, at least 8.",
          &Config::http_threads, 0, 256));
  keys.push_back(num("http.body_limit", "TING_HTTP_BODY_LIMIT",
                     "Largest request body in bytes (413 above it); prompt uploads may be up "
                     "to 20 MiB.",
                     &Config::http_body_limit, 1024, std::int64_t{1} << 32));
  keys.push_back(num("http.header_limit", "TING_HTTP_HEADER_LIMIT",
                     "Largest request head (request line and headers) in bytes (431 above it).",
                     &Config::http_header_limit, 1024, 1 << 20));
  keys.push_back(num("http.request_timeout", "TING_HTTP_REQUEST_TIMEOUT",
                     "Seconds a client may take to send a request, and an idle keep-alive "
                     "connection may stay open.",
                     &Config::http_request_timeout, 1, 3600));
  keys.push_back(num("http.ws_message_limit", "TING_HTTP_WS_MESSAGE_LIMIT",
                     "Largest WebSocket message a client may send, in bytes (closes with 1009).",
                     &Config::ws_message_limit, 128, 1 << 24));
  keys.push_back(num("http.ws_queue_limit", "TING_HTTP_WS_QUEUE_LIMIT",
                     "Events queued for one slow WebSocket client before it is disconnected.",
                     &Config::ws_queue_limit, 16, 1 << 20));
  keys.push_back(num("http.shutdown_grace", "TING_HTTP_SHUTDOWN_GRACE",
                     "Seconds in-flight requests get to finish after SIGTERM.",
                     &Config::shutdown_grace, 0, 600));
  keys.push_back(str("sip.listen", "TING_SIP", "--sip",
                     "Address and port for SIP over UDP and TCP.", &Config::sip_listen));
  keys.push_back(str("sip.advertised", "TING_SIP_ADVERTISED", "",
                     "Address put in Contact, Via and SDP when Ting is behind NAT; empty: the "
                     "listen address (127.0.0.1 when listening on 0.0.0.0).",
                     &Config::sip_advertised));
  keys.push_back(num("sip.max_calls", "TING_SIP_MAX_CALLS",
                     "Concurrent calls the server takes; more get 503 with Retry-After.",
                     &Config::sip_max_calls, 1, 100000));
  keys.push_back(num("sip.drain", "TING_SIP_DRAIN",
                     "Seconds calls in progress may go on after SIGTERM (new calls get 503).",
                     &Config::sip_drain, 0, 86400));
  keys.push_back(num("sip.answer_delay", "TING_SIP_ANSWER_DELAY",
                     "Milliseconds Ting rings (180) before answering an incoming call; 0 answers "
                     "at once. Callers who hang up meanwhile are recorded as cancelled.",
                     &Config::sip_answer_delay, 0, 10000));
  keys.push_back(num("sip.auth_max_failures", "TING_SIP_AUTH_MAX_FAILURES",
                     "Failed SIP authentications from one address within a minute that block it.",
                     &Config::sip_auth_max_failures, 1, 10000));
  keys.push_back(num("sip.auth_block", "TING_SIP_AUTH_BLOCK",
                     "Seconds an address stays blocked after too many failed authentications.",
                     &Config::sip_auth_block, 1, 7 * 86400));
  keys.push_back(num("media.rtp_port_min", "TING_MEDIA_RTP_PORT_MIN",
                     "Lowest UDP port for RTP (each call takes an even port and the next one "
                     "for RTCP).",
                     &Config::rtp_port_min, 1024, 65534));
  keys.push_back(num("media.rtp_port_max", "TING_MEDIA_RTP_PORT_MAX", "Highest UDP port for RTP.",
                     &Config::rtp_port_max, 1025, 65535));
  keys.push_back(num("media.loops", "TING_MEDIA_LOOPS",
                     "Media threads, each serving many calls from one 20 ms timer; 0: one per "
                     "core.",
                     &Config::media_loops, 0, 64));
  keys.push_back(num("media.rtp_timeout", "TING_MEDIA_RTP_TIMEOUT",
                     "Seconds without RTP from the caller after which a call is hung up (not "
                     "while on hold).",
                     &Config::rtp_timeout, 5, 3600));
  keys.push_back(num("media.realtime_priority", "TING_MEDIA_REALTIME_PRIORITY",
                     "SCHED_FIFO priority for the media threads, so packets leave on time on a "
                     "busy host (needs CAP_SYS_NICE or an RLIMIT_RTPRIO; without it Ting warns "
                     "and runs them as ordinary threads); 0: ordinary threads.",
                     &Config::media_realtime_priority, 0, 99));
  keys.push_back(str("tts.voice", "TING_TTS_VOICE", "",
                     "espeak-ng voice for prompts that name none (cmn-latn-pinyin reads Chinese "
                     "text).",
                     &Config::tts_voice));
  keys.push_back(num("auth.token_ttl", "TING_AUTH_TOKEN_TTL", "Seconds a login token stays valid.",
                     &Config::token_ttl, 1, std::int64_t{90} * 86400));
  keys.push_back(num("auth.backoff_after", "TING_AUTH_BACKOFF_AFTER",
                     "Consecutive failed logins after which each further attempt must wait "
                     "(1 s, doubling, at most 60 s).",
                     &Config::backoff_after, 1, 1000));
  keys.push_back(num("auth.max_failed_logins", "TING_AUTH_MAX_FAILED_LOGINS",
                     "Consecutive failed logins that lock the account.", &Config::max_failed_logins,
                     1, 1000));
  keys.push_back(num("auth.lockout", "TING_AUTH_LOCKOUT", "Seconds a locked account stays locked.",
                     &Config::lockout, 1, std::int64_t{30} * 86400));
  keys.push_back(num("auth.argon2_memory_kib", "TING_AUTH_ARGON2_MEMORY_KIB",
                     "argon2id memory cost in KiB for new password hashes.",
                     &Config::argon2_memory_kib, 8, 4 << 20));
  keys.push_back(num("auth.argon2_iterations", "TING_AUTH_ARGON2_ITERATIONS",
                     "argon2id time cost (passes) for new password hashes.",
                     &Config::argon2_iterations, 1, 100));
  keys.push_back(str("store.sqlite_synchronous", "TING_STORE_SQLITE_SYNCHRONOUS", "",
                     "SQLite PRAGMA synchronous: normal survives a crash of Ting; full also "
                     "survives a power loss (see docs/operations.md).",
                     &Config::sqlite_synchronous, {"normal", "full"}));
  keys.push_back(num("store.pool_size", "TING_STORE_POOL_SIZE",
                     "Database connections for reads (SQLite) or for everything (PostgreSQL).",
                     &Config::pool_size, 1, 256));
  keys.push_back(str("log.level", "TING_LOG_LEVEL", "--log-level", "Least severe level logged.",
                     &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"}));
  keys.push_back(num("sla.sweep_interval", "TING_SLA_SWEEP_INTERVAL",
                     "Seconds between looks at SLA clocks due to warn, breach or escalate.",
                     &Config::sla_sweep_interval, 1, 3600));
  keys.push_back(num("webhooks.retry_base", "TING_WEBHOOKS_RETRY_BASE",
                     "Seconds before a failed webhook delivery is tried again; each later try "
                     "waits twice as long (at most an hour), 8 tries in all.",
                     &Config::webhooks_retry_base, 1, 3600));
  keys.push_back(str("log.format", "TING_LOG_FORMAT", "",
                     "text for people, json for log collectors.", &Config::log_format,
                     {"text", "json"}));
  keys.push_back(flag("demo.enabled", "TING_DEMO", "--demo",
                      "Seed the demo tenant (idempotent) at start.", &Config::demo));
  keys.push_back(str("demo.password", "TING_DEMO_PASSWORD", "--demo-password",
                     "Password applied to every demo account at each start; when empty a "
                     "random one is printed on the first start.",
                     &Config::demo_password));
  return keys;
}

const ConfigKey* findKey(const std::string& key) {
  for (const auto& k : configKeys()) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

}  // namespace

const std::vector<ConfigKey>& configKeys() {
  static const std::vector<ConfigKey> kKeys = buildKeys();
  return kKeys;
}

Status setConfigValue(Config& config, const std::string& key, std::string_view value) {
  const ConfigKey* k = findKey(key);
  if (!k) return invalidArgument("unknown configuration key '" + key + "'", key);
  std::string v(value);
  switch (k->kind) {
    case ConfigKind::kInt: {
      std::int64_t n = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
        return invalidArgument("'" + key + "' must be an integer, got '" + v + "'", key);
      }
      if (n < k->min || n > k->max) {
        return invalidValue("'" + key + "' must be between " + std::to_string(k->min) + " and " +
                                std::to_string(k->max),
                            key);
      }
      k->set(config, std::to_string(n));
      return Status::ok();
    }
    case ConfigKind::kBool:
      if (v == "true" || v == "1" || v == "yes" || v == "on") {
        k->set(config, "true");
      } else if (v == "false" || v == "0" || v == "no" || v == "off") {
        k->set(config, "false");
      } else {
        return invalidArgument("'" + key + "' must be true or false, got '" + v + "'", key);
      }
      return Status::ok();
    case ConfigKind::kString:
      if (!k->choices.empty()) {
        bool ok = false;
        std::string list;
        for (const auto& c : k->choices) {
          ok = ok || c == v;
          list += (list.empty() ? "" : ", ") + c;
        }
        if (!ok) return invalidValue("'" + key + "' must be one of: " + list, key);
      }
      k->set(config, v);
      return Status::ok();
  }
  return internalError("unhandled configuration kind");
}

Status applyConfigToml(Config& config, std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return invalidArgument("configuration is not valid TOML (line " +
                           std::to_string(src.begin.line) + ", column " +
                           std::to_string(src.begin.column) + "): " + std::string(e.description()));
  }
  for (const auto& [section, node] : root) {
    const auto* table = node.as_table();
    std::string section_name(section.str());
    if (!table) {
      return invalidArgument("'" + section_name + "' must be a section like [" + section_name + "]",
                             section_name);
    }
    for (const auto& [name, value] : *table) {
      std::string key = section_name + "." + std::string(name.str());
      const ConfigKey* k = findKey(key);
      if (!k) return invalidArgument("unknown configuration key '" + key + "'", key);
      std::string text;
      if (k->kind == ConfigKind::kString) {
        if (!value.is_string()) return invalidArgument("'" + key + "' must be a string", key);
        text = *value.value<std::string>();
      } else if (k->kind == ConfigKind::kInt) {
        if (!value.is_integer()) return invalidArgument("'" + key + "' must be an integer", key);
        text = std::to_string(*value.value<std::int64_t>());
      } else {
        if (!value.is_boolean()) return invalidArgument("'" + key + "' must be true or false", key);
        text = *value.value<bool>() ? "true" : "false";
      }
      TING_RETURN_IF_ERROR(setConfigValue(config, key, text));
    }
  }
  return Status::ok();
}

Status applyConfigFile(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidArgument("cannot read configuration file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  Status s = applyConfigToml(config, ss.str());
  if (!s.isOk()) return Status(s.code(), path + ": " + s.message(), s.field());
  return s;
}

Status applyConfigEnv(Config& config, const std::function<const char*(const char*)>& getenv_fn) {
  for (const auto& k : configKeys()) {
    if (const char* v = getenv_fn(k.env.c_str())) {
      Status s = setConfigValue(config, k.key, v);
      if (!s.isOk()) return Status(s.code(), k.env + ": " + s.message(), s.field());
    }
  }
  return Status::ok();
}

std::string configReference() {
  std::ostringstream out;
  Config defaults;
  out << "| key | default | environment | flag | meaning |\n|---|---|---|---|---|\n";
  for (const auto& k : configKeys()) {
    std::string def = k.get(defaults);
    if (k.kind == ConfigKind::kString) def = "\"" + def + "\"";
    out << "| `" << k.key << "` | `" << def << "` | `" << k.env << "` | "
        << (k.flag.empty() ? "" : "`" + k.flag + "`") << " | " << k.doc;
    if (!k.choices.empty()) {
      out << " One of:";
      for (const auto& c : k.choices) out << " `" << c << "`";
      out << ".";
    }
    if (k.kind == ConfigKind::kInt) out << " Range " << k.min << "–" << k.max << ".";
    out << " |\n";
  }
  return out.str();
}

}  // namespace ting
