// Search text from outside: what users type into the search box and what
// documents hold (work orders, customer cards, articles). Any bytes are
// tokenized, searched for and indexed. Terms are short valid UTF-8; searches
// never fail; snippets are valid UTF-8 whose only tags are <mark>; a document
// is found by its own words; another tenant's document never shows.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "search/search_index.h"
#include "search/tokenize.h"

namespace {

using ting::search::Document;
using ting::search::Hit;
using ting::search::Index;
using ting::search::Query;
using ting::search::TokenMode;

constexpr std::int64_t kFixedTenant = 1;
constexpr std::int64_t kFuzzTenant = 2;
constexpr std::int64_t kFuzzId = 99;
constexpr std::size_t kQueryTokens = 8;

// The fuzzer cannot see a wrong answer unless the target crashes on it.
void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool isValidUtf8(const std::string& s) {
  return ting::search::toValidUtf8(s, s.size()) == s;
}

// HTML whose only tags are <mark> and </mark>.
bool onlyMarkTags(std::string s) {
  for (const char* tag : {"<mark>", "</mark>"}) {
    for (auto at = s.find(tag); at != std::string::npos; at = s.find(tag)) {
      s.erase(at, std::string_view(tag).size());
    }
  }
  return s.find_first_of("<>") == std::string::npos;
}

Document doc(std::int64_t tenant, std::int64_t id, std::string title, std::string body) {
  Document d;
  d.kind = "work_order";
  d.tenant_id = tenant;
  d.id = id;
  d.title = std::move(title);
  d.body = std::move(body);
  d.category = "3";
  return d;
}

Index& index() {
  static const std::unique_ptr<Index> index = [] {
    auto opened = Index::open("");
    check(opened.isOk());
    std::unique_ptr<Index> idx = std::move(opened).value();
    check(idx->put(doc(kFixedTenant, 1, "宽带故障", "客户反映宽带故障已经三天")).isOk());
    check(idx->put(doc(kFixedTenant, 2, "Refund request", "Customer wants a refund <b>now</b>"))
              .isOk());
    check(idx->put(doc(kFixedTenant, 3, "工单 C20261122-0042", "电话 138-0013-8000")).isOk());
    check(idx->put(doc(kFixedTenant, 4, "Router 路由器", "重启 router & 检查 WiFi")).isOk());
    check(idx->commit().isOk());
    return idx;
  }();
  return *index;
}

void checkHits(const std::vector<Hit>& hits, std::int64_t tenant) {
  for (const Hit& h : hits) {
    if (tenant == kFixedTenant) check(h.id >= 1 && h.id <= 4);
    if (tenant == kFuzzTenant) check(h.id == kFuzzId);
    check(isValidUtf8(h.title));
    check(isValidUtf8(h.snippet));
    check(onlyMarkTags(h.snippet));
  }
}

Query queryOf(std::int64_t tenant, std::string text) {
  Query q;
  q.tenant_id = tenant;
  q.text = std::move(text);
  return q;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (TokenMode mode : {TokenMode::kIndex, TokenMode::kQuery}) {
    for (const auto& t : ting::search::analyze(text, mode)) {
      check(!t.term.empty() && t.term.size() <= ting::search::kMaxTermBytes);
      check(isValidUtf8(t.term));
      check(t.begin < t.end && t.end <= text.size());
    }
  }
  (void)ting::search::tokenize(text);

  // As a query, over documents that do not hold it.
  Index& idx = index();
  auto hits = idx.search(queryOf(kFixedTenant, text));
  check(hits.isOk());
  checkHits(*hits, kFixedTenant);
  auto suggested = idx.suggest(kFixedTenant, text, {}, 5);
  if (suggested.isOk()) checkHits(*suggested, kFixedTenant);

  // As a document of another tenant, found by its own first words.
  const std::string title = ting::search::toValidUtf8(text, 64);
  check(idx.put(doc(kFuzzTenant, kFuzzId, title, text)).isOk());
  check(idx.commit().isOk());
  std::string own_words;
  std::size_t n = 0;
  for (const std::string& term : ting::search::tokenize(text)) {
    if (n++ == kQueryTokens) break;
    own_words += term + " ";
  }
  auto own = idx.search(queryOf(kFuzzTenant, own_words));
  check(own.isOk());
  checkHits(*own, kFuzzTenant);
  if (n > 0) check(own->size() == 1);
  hits = idx.search(queryOf(kFixedTenant, own_words));
  check(hits.isOk());
  checkHits(*hits, kFixedTenant);
  return 0;
}
