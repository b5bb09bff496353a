#include "sip/directory.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace ting::sip {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

struct SipDirectory::Index {
  std::unordered_map<std::int64_t, SipTenant> tenants;
  std::unordered_map<std::string, std::int64_t> by_domain;
  std::map<std::pair<std::int64_t, std::string>, SipAccount> accounts;
  std::vector<Trunk> trunks;  // most specific first
  std::vector<OutboundTrunk> outbound;  // by id
};

std::string dialUri(const std::string& uri, const std::string& number) {
  std::string rest = uri;
  std::string scheme = "sip:";
  if (rest.rfind("sips:", 0) == 0) {
    scheme = "sips:";
    rest.erase(0, 5);
  } else if (rest.rfind("sip:", 0) == 0) {
    rest.erase(0, 4);
  }
  if (auto at = rest.find('@'); at != std::string::npos) rest.erase(0, at + 1);
  return scheme + number + "@" + rest;
}

bool parseCidr(const std::string& text, std::uint32_t& network, int& prefix) {
  std::string addr = text;
  prefix = 32;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 2 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) {
      return false;
    }
    prefix = std::stoi(bits);
    if (prefix > 32) return false;
  }
  in_addr a{};
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) return false;
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  network = ntohl(a.s_addr) & mask;
  return true;
}

void SipDirectory::replace(DirectorySnapshot snapshot) {
  auto index = std::make_shared<Index>();
  for (auto& t : snapshot.tenants) {
    for (const auto& d : t.domains) index->by_domain.emplace(lower(d), t.id);
    index->by_domain.emplace(lower(t.realm), t.id);
    index->tenants.emplace(t.id, std::move(t));
  }
  for (auto& a : snapshot.accounts) {
    index->accounts.emplace(std::make_pair(a.tenant_id, a.extension), std::move(a));
  }
  index->trunks = std::move(snapshot.trunks);
  index->outbound = std::move(snapshot.outbound);
  std::sort(index->outbound.begin(), index->outbound.end(),
            [](const OutboundTrunk& a, const OutboundTrunk& b) { return a.id < b.id; });
  std::stable_sort(index->trunks.begin(), index->trunks.end(),
                   [](const Trunk& a, const Trunk& b) { return a.prefix > b.prefix; });
  std::lock_guard lock(mu_);
  index_ = std::move(index);
}

std::optional<SipTenant> SipDirectory::tenantByDomain(const std::string& host) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mu_);
    index = index_;
  }
  if (!index) return std::nullopt;
  auto it = index->by_domain.find(lower(host));
  if (it == index->by_domain.end()) return std::nullopt;
  return index->tenants.at(it->second);
}

std::optional<SipTenant> SipDirectory::tenantById(std::int64_t id) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mu_);
    index = index_;
  }
  if (!index) return std::nullopt;
  auto it = index->tenants.find(id);
  if (it == index->tenants.end()) return std::nullopt;
  return it->second;
}

std::optional<SipAccount> SipDirectory::account(std::int64_t tenant_id,
                                                const std::string& extension) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mu_);
    index = index_;
  }
  if (!index) return std::nullopt;
  auto it = index->accounts.find({tenant_id, extension});
  if (it == index->accounts.end()) return std::nullopt;
  return it->second;
}

std::optional<Trunk> SipDirectory::trunkByAddress(std::uint32_t address) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mu_);
    index = index_;
  }
  if (!index) return std::nullopt;
  for (const Trunk& t : index->trunks) {
    std::uint32_t mask = t.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - t.prefix);
    if ((address & mask) == t.network) return t;
  }
  return std::nullopt;
}

std::optional<OutboundTrunk> SipDirectory::outboundTrunk(std::int64_t tenant_id,
                                                       const std::string& name) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mu_);
    index = index_;
  }
  if (!index) return std::nullopt;
  for (const OutboundTrunk& t : index->outbound) {
    if (t.tenant_id == tenant_id && (name.empty() || t.name == name)) return t;
  }
  return std::nullopt;
}

bool AuthThrottle::blocked(std::uint32_t address, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(address);
  return it != entries_.end() && it->second.blocked_until > now_ms;
}

bool AuthThrottle::fail(std::uint32_t address, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (entries_.size() > 100'000) entries_.clear();  // bound memory under a spray of sources
  Entry& e = entries_[address];
  const std::int64_t window_ms = std::chrono::milliseconds(window_).count();
  if (now_ms - e.window_start > window_ms) {
    e.window_start = now_ms;
    e.failures = 0;
  }
  if (++e.failures >= max_failures_) {
    e.blocked_until = now_ms + std::chrono::milliseconds(block_).count();
    e.failures = 0;
    return true;
  }
  return false;
}

void AuthThrottle::succeed(std::uint32_t address) {
  std::lock_guard lock(mu_);
  entries_.erase(address);
}

}  // namespace ting::sip
