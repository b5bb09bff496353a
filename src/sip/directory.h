#pragma once
// Who may use Ting's SIP side: tenants by SIP domain, agents' phone accounts
// (extension + digest HA1) and trunks by source address. Loaded from the
// store by the server and replaced whole when an admin changes something;
// read by the SIP thread without touching the database.

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ting::sip {

struct SipTenant {
  std::int64_t id = 0;
  std::string realm;                 // the tenant's SIP domain, also its digest realm
  std::vector<std::string> domains;  // realm plus aliases (e.g. the server's own address)
  int max_calls = 0;                 // 0: no tenant limit
};

struct SipAccount {
  std::int64_t tenant_id = 0;
  std::int64_t user_id = 0;
  std::string extension;
  std::string ha1;  // MD5(extension:realm:password)
};

struct Trunk {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  std::uint32_t network = 0;  // host byte order
  int prefix = 32;            // CIDR prefix length
};

// A provider Ting places calls through: numbers are dialled as
// sip:<number>@<the host of uri>, with digest credentials when challenged.
struct OutboundTrunk {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  std::string uri;  // sip:host[:port][;params]
  std::string username;
  std::string password;   // decrypted; only in memory
  std::string caller_id;  // the number called parties see; empty: the username
};

struct DirectorySnapshot {
  std::vector<SipTenant> tenants;
  std::vector<SipAccount> accounts;
  std::vector<Trunk> trunks;
  std::vector<OutboundTrunk> outbound;
};

// The request URI for dialling `number` through a trunk whose URI is `uri`
// ("sip:host:port;transport=tcp" → "sip:<number>@host:port;transport=tcp");
// a user part in `uri` is replaced.
std::string dialUri(const std::string& uri, const std::string& number);

// Parses "a.b.c.d" or "a.b.c.d/n" into a trunk's network; false if invalid.
bool parseCidr(const std::string& text, std::uint32_t& network, int& prefix);

class SipDirectory {
 public:
  void replace(DirectorySnapshot snapshot);

  std::optional<SipTenant> tenantByDomain(const std::string& host) const;
  std::optional<SipTenant> tenantById(std::int64_t id) const;
  std::optional<SipAccount> account(std::int64_t tenant_id, const std::string& extension) const;
  // The most specific trunk containing `address` (host byte order).
  std::optional<Trunk> trunkByAddress(std::uint32_t address) const;
  // The tenant's outbound trunk by name; empty name: its first (lowest id).
  std::optional<OutboundTrunk> outboundTrunk(std::int64_t tenant_id, const std::string& name) const;

 private:
  struct Index;
  mutable std::mutex mu_;
  std::shared_ptr<const Index> index_;  // guarded by mu_; readers take a reference and unlock
};

// Toll-fraud defence: counts authentication failures per source address and
// blocks a source that fails too often, for a while.
class AuthThrottle {
 public:
  AuthThrottle(int max_failures, std::chrono::seconds window, std::chrono::seconds block)
      : max_failures_(max_failures), window_(window), block_(block) {}
  bool blocked(std::uint32_t address, std::int64_t now_ms);
  // Returns true when this failure blocks the source.
  bool fail(std::uint32_t address, std::int64_t now_ms);
  void succeed(std::uint32_t address);

 private:
  struct Entry {
    int failures = 0;
    std::int64_t window_start = 0;
    std::int64_t blocked_until = 0;
  };
  int max_failures_;
  std::chrono::seconds window_, block_;
  std::mutex mu_;
  std::unordered_map<std::uint32_t, Entry> entries_;  // guarded by mu_
};

}  // namespace ting::sip
