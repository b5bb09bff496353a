#pragma once
// Server configuration: defaults, then a TOML file, then TING_* environment
// variables, then command-line flags — each later source overriding the earlier.
// Every key is described once, in the table behind configKeys(); that table
// drives parsing, the environment names and `ting help config`.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ting {

struct Config {
  // [server]
  std::string data_dir = "./var";
  std::string db;  // empty: SQLite at <data_dir>/ting.db
  // [http]
  std::string http_listen = "0.0.0.0:8080";
  int http_threads = 0;  // 0: four per core, at least 8
  std::int64_t http_body_limit = 1 << 20;
  std::int64_t http_header_limit = 16 << 10;
  int http_request_timeout = 30;
  std::int64_t ws_message_limit = 64 << 10;
  int ws_queue_limit = 1024;
  int shutdown_grace = 10;
  // [sip]
  std::string sip_listen = "0.0.0.0:5060";
  std::string sip_advertised;  // empty: the listen address (127.0.0.1 for 0.0.0.0)
  int sip_max_calls = 1000;
  int sip_drain = 60;
  int sla_sweep_interval = 5;  // seconds between SLA clock sweeps
  int webhooks_retry_base = 10;  // seconds before a failed webhook delivery's first retry
  int sip_answer_delay = 0;  // ms of ringing before Ting answers
  int sip_auth_max_failures = 10;
  int sip_auth_block = 600;
  // [media]
  int rtp_port_min = 20000;
  int rtp_port_max = 29999;
  int media_loops = 0;  // 0: one per core
  int rtp_timeout = 60;
  int media_realtime_priority = 10;  // SCHED_FIFO for media threads; 0: ordinary
  // [tts]
  std::string tts_voice = "cmn-latn-pinyin";
  // [auth]
  int token_ttl = 12 * 3600;
  int backoff_after = 3;
  int max_failed_logins = 10;
  int lockout = 15 * 60;
  int argon2_memory_kib = 19456;
  int argon2_iterations = 2;
  // [store]
  std::string sqlite_synchronous = "normal";
  int pool_size = 8;
  // [log]
  std::string log_level = "info";
  std::string log_format = "text";
  // [demo]
  bool demo = false;
  std::string demo_password;

  // The database URL actually used: `db`, or the SQLite file in data_dir.
  std::string databaseUrl() const;
};

enum class ConfigKind { kString, kInt, kBool };

struct ConfigKey {
  std::string key;   // "http.body_limit": section.name in the TOML file
  std::string env;   // "TING_HTTP_BODY_LIMIT"
  std::string flag;  // "--http", or empty
  ConfigKind kind = ConfigKind::kString;
  std::string doc;
  std::int64_t min = 0;                                  // for kInt
  std::int64_t max = INT32_MAX;                          // for kInt
  std::vector<std::string> choices;                      // for kString, when restricted
  std::function<void(Config&, const std::string&)> set;  // value already validated
  std::function<std::string(const Config&)> get;
};

const std::vector<ConfigKey>& configKeys();

// Sets `key` from its textual form. Names the key in the error.
Status setConfigValue(Config& config, const std::string& key, std::string_view value);
// Applies a TOML document. Unknown sections or keys and wrong types are errors.
Status applyConfigToml(Config& config, std::string_view toml_text);
Status applyConfigFile(Config& config, const std::string& path);
// Applies TING_* variables found through `getenv`.
Status applyConfigEnv(Config& config, const std::function<const char*(const char*)>& getenv_fn);

// Markdown reference of every key, its default, environment variable and flag.
std::string configReference();

}  // namespace ting
