#include "search/search_index.h"

#include <stdlib.h>  // mkdtemp
#include <xapian.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "search/tokenize.h"

namespace ting::search {

namespace {

// Term prefixes (Xapian's convention: capital letters; content terms are lowercase).
constexpr char kTenantPrefix = 'T';
constexpr char kKindPrefix = 'K';
constexpr char kCategoryPrefix = 'C';
constexpr char kIdPrefix = 'Q';
constexpr char kStemPrefix = 'Z';

constexpr Xapian::valueno kUpdatedAtSlot = 0;

constexpr std::size_t kMaxKindBytes = 32;
constexpr std::size_t kMaxCategoryBytes = 64;
constexpr int kMaxLimit = 100;
constexpr int kMaxOffset = 10000;
constexpr std::size_t kMaxIdleReaders = 16;
// A read is tried this often when commits keep overtaking it, the last time
// holding the writer lock.
constexpr int kReadAttempts = 4;

bool validKind(std::string_view kind) {
  return !kind.empty() && kind.size() <= kMaxKindBytes &&
         std::all_of(kind.begin(), kind.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

Status checkKey(std::string_view kind, std::int64_t tenant_id) {
  if (!validKind(kind)) return invalidArgument("kind must be 1-32 of a-z and _", "kind");
  if (tenant_id <= 0) return invalidArgument("tenant_id is required", "tenant_id");
  return Status::ok();
}

std::string tenantTerm(std::int64_t tenant_id) {
  return kTenantPrefix + std::to_string(tenant_id);
}

// Unique per (kind, tenant, id); kinds have no ':'.
std::string idTerm(std::string_view kind, std::int64_t tenant_id, std::int64_t id) {
  std::string term(1, kIdPrefix);
  term.append(kind);
  term += ':' + std::to_string(tenant_id) + ':' + std::to_string(id);
  return term;
}

// What a document stores for hits: kind, id, title, body, each as a varint
// length and its bytes.
struct Stored {
  std::string kind;
  std::int64_t id = 0;
  std::string title;
  std::string body;
};

void putField(std::string& out, std::string_view field) {
  std::size_t n = field.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(field);
}

bool getField(std::string_view& in, std::string_view& field) {
  std::size_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (in.empty() || shift > 28) return false;
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= static_cast<std::size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (n > in.size()) return false;
  field = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

std::string encodeStored(std::string_view kind, std::int64_t id, std::string_view title,
                         std::string_view body) {
  std::string out;
  out.reserve(title.size() + body.size() + kind.size() + 32);
  putField(out, kind);
  putField(out, std::to_string(id));
  putField(out, title);
  putField(out, body);
  return out;
}

bool decodeStored(std::string_view in, Stored& out) {
  std::string_view kind, id, title, body;
  if (!getField(in, kind) || !getField(in, id) || !getField(in, title) || !getField(in, body)) {
    return false;
  }
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), out.id);
  if (ec != std::errc() || end != id.data() + id.size()) return false;
  out.kind = kind;
  out.title = title;
  out.body = body;
  return true;
}

// Terms of `text`, each occurrence counting `wdf`; words also under their stem.
void addText(Xapian::Document& doc, std::string_view text, int wdf) {
  std::unordered_map<std::string, std::string> stems;  // word → "Z" + stem, or ""
  for (const Token& t : analyze(text, TokenMode::kIndex)) {
    doc.add_term(t.term, wdf);
    if (t.kind != TokenKind::kWord) continue;
    auto [it, fresh] = stems.try_emplace(t.term);
    if (fresh) {
      std::string stem = stemOf(t.term);
      if (!stem.empty()) it->second = kStemPrefix + stem;
    }
    if (!it->second.empty()) doc.add_term(it->second, wdf);
  }
}

// A word as typed or any word of its stem; the word as typed matches both.
Xapian::Query wordQuery(const std::string& word) {
  const std::string stem = stemOf(word);
  if (stem.empty()) return Xapian::Query(word);
  return Xapian::Query(Xapian::Query::OP_OR, Xapian::Query(word),
                       Xapian::Query(kStemPrefix + stem));
}

// One query per thing the user typed: a word, a CJK bigram (or lone
// character), or a compound (its words, ranked higher when written the same
// way, or it without hyphens).
std::vector<Xapian::Query> queryWords(const std::vector<Token>& tokens) {
  struct Unit {
    Xapian::Query query;
    std::size_t begin;
    std::size_t end;
    bool compound;
  };
  std::vector<Unit> units;
  for (const Token& t : tokens) {
    switch (t.kind) {
      case TokenKind::kWord:
        units.push_back({wordQuery(t.term), t.begin, t.end, false});
        break;
      case TokenKind::kCjkUnigram:
      case TokenKind::kCjkBigram:
        units.push_back({Xapian::Query(t.term), t.begin, t.end, false});
        break;
      case TokenKind::kCompound: {
        // Its words are the units just before it (analyze() orders by end).
        auto first = units.end();
        while (first != units.begin() && std::prev(first)->begin >= t.begin) --first;
        std::vector<Xapian::Query> parts;
        for (auto it = first; it != units.end(); ++it) parts.push_back(it->query);
        units.erase(first, units.end());
        Xapian::Query all(Xapian::Query::OP_AND, parts.begin(), parts.end());
        units.push_back({Xapian::Query(Xapian::Query::OP_AND_MAYBE, all, Xapian::Query(t.term)),
                         t.begin, t.end, true});
        break;
      }
      case TokenKind::kJoined:
        if (!units.empty() && units.back().compound && units.back().begin == t.begin &&
            units.back().end == t.end) {
          units.back().query =
              Xapian::Query(Xapian::Query::OP_OR, units.back().query, Xapian::Query(t.term));
        }
        break;
    }
  }
  std::vector<Xapian::Query> out;
  for (std::size_t k = 0; k < units.size() && k < kMaxQueryWords; ++k) {
    out.push_back(std::move(units[k].query));
  }
  return out;
}

// The boolean filter every query carries: the tenant, and kinds and category when given.
// Kinds and categories that cannot exist match nothing.
Xapian::Query filterQuery(std::int64_t tenant_id, const std::vector<std::string>& kinds,
                          const std::string& category) {
  Xapian::Query filter(tenantTerm(tenant_id));
  if (!kinds.empty()) {
    std::vector<Xapian::Query> any;
    for (const std::string& kind : kinds) {
      any.emplace_back(std::string(1, kKindPrefix) + (validKind(kind) ? kind : ""));
    }
    filter = Xapian::Query(Xapian::Query::OP_AND, filter,
                           Xapian::Query(Xapian::Query::OP_OR, any.begin(), any.end()));
  }
  if (!category.empty()) {
    std::string term(1, kCategoryPrefix);
    if (category.size() <= kMaxCategoryBytes) term += category;
    filter = Xapian::Query(Xapian::Query::OP_AND, filter, Xapian::Query(term));
  }
  return filter;
}

Hit hitOf(const Xapian::MSetIterator& it, const SnippetTerms& terms, bool scored) {
  Hit hit;
  Stored stored;
  if (!decodeStored(it.get_document().get_data(), stored)) {
    // Only this file writes document data; an undecodable one is not ours.
    hit.kind = "unknown";
    return hit;
  }
  hit.kind = std::move(stored.kind);
  hit.id = stored.id;
  hit.score = scored ? it.get_weight() : 0;
  hit.snippet = makeSnippet(stored.title + "\n" + stored.body, terms);
  hit.title = std::move(stored.title);
  return hit;
}

}  // namespace

struct Index::Reader {
  explicit Reader(const std::string& dir) : db(dir) {}
  // To the latest revision. A handle whose revision is gone may refuse to
  // reopen; a new one then takes its place.
  void refresh(const std::string& dir) {
    try {
      db.reopen();
    } catch (const Xapian::DatabaseModifiedError&) {
      db = Xapian::Database(dir);
    }
  }
  Xapian::Database db;
  std::uint64_t generation = 0;  // of the commit db was (re)opened after
};

Index::Index(std::string dir, bool throwaway, std::unique_ptr<Xapian::WritableDatabase> writer)
    : dir_(std::move(dir)), throwaway_(throwaway), writer_(std::move(writer)) {}

Result<std::unique_ptr<Index>> Index::open(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string path = dir;
  const bool throwaway = dir.empty();
  if (throwaway) {
    const fs::path tmp = fs::temp_directory_path(ec);
    if (ec) return unavailable("no temporary directory: " + ec.message());
    path = (tmp / "ting-search-XXXXXX").string();
    if (mkdtemp(path.data()) == nullptr) {
      return unavailable("cannot create a temporary index: " + std::string(std::strerror(errno)));
    }
  } else {
    fs::create_directories(path, ec);
    if (ec) return unavailable("cannot create the index directory " + path + ": " + ec.message());
  }
  auto discard = [&] {
    if (throwaway) fs::remove_all(path, ec);
  };
  const int flags =
      Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS | (throwaway ? Xapian::DB_NO_SYNC : 0);
  try {
    auto writer = std::make_unique<Xapian::WritableDatabase>(path, flags);
    // A first revision on disk, so that readers can open a new index.
    writer->commit();
    return std::unique_ptr<Index>(new Index(path, throwaway, std::move(writer)));
  } catch (const Xapian::DatabaseLockError& e) {
    discard();
    return unavailable("search index " + path +
                       " is open in another process: " + e.get_description());
  } catch (const Xapian::Error& e) {
    discard();
    return internalError("cannot open search index " + path + ": " + e.get_description());
  }
}

Index::~Index() {
  {
    std::lock_guard lock(readers_mu_);
    idle_readers_.clear();
  }
  {
    std::lock_guard lock(writer_mu_);
    try {
      writer_->close();  // commits what is pending
    } catch (const Xapian::Error&) {
      // Nothing to report to: what was committed stays, the rest is lost.
    }
    writer_.reset();
  }
  if (throwaway_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Status Index::put(const Document& d) {
  TING_RETURN_IF_ERROR(checkKey(d.kind, d.tenant_id));
  if (d.category.size() > kMaxCategoryBytes) {
    return invalidArgument("category is longer than 64 bytes", "category");
  }
  const std::string title = toValidUtf8(d.title, kMaxDocumentBytes);
  const std::string body = toValidUtf8(d.body, kMaxDocumentBytes - title.size());
  const std::string id_term = idTerm(d.kind, d.tenant_id, d.id);
  try {
    // Analysis happens before taking the lock, so that writers overlap in it.
    Xapian::Document doc;
    addText(doc, title, kTitleWeight);
    addText(doc, body, 1);
    doc.add_boolean_term(tenantTerm(d.tenant_id));
    doc.add_boolean_term(kKindPrefix + d.kind);
    if (!d.category.empty()) doc.add_boolean_term(kCategoryPrefix + d.category);
    doc.add_boolean_term(id_term);
    doc.add_value(kUpdatedAtSlot, Xapian::sortable_serialise(static_cast<double>(d.updated_at)));
    doc.set_data(encodeStored(d.kind, d.id, title, body));
    std::lock_guard lock(writer_mu_);
    writer_->replace_document(id_term, doc);
  } catch (const Xapian::Error& e) {
    return internalError("search index put: " + e.get_description());
  }
  return Status::ok();
}

Status Index::remove(const std::string& kind, std::int64_t tenant_id, std::int64_t id) {
  TING_RETURN_IF_ERROR(checkKey(kind, tenant_id));
  try {
    std::lock_guard lock(writer_mu_);
    writer_->delete_document(idTerm(kind, tenant_id, id));
  } catch (const Xapian::Error& e) {
    return internalError("search index remove: " + e.get_description());
  }
  return Status::ok();
}

Status Index::commit() {
  try {
    std::lock_guard lock(writer_mu_);
    writer_->commit();
    ++generation_;
  } catch (const Xapian::Error& e) {
    return internalError("search index commit: " + e.get_description());
  }
  return Status::ok();
}

Status Index::withReader(const std::function<void(Xapian::Database&)>& read) const {
  std::unique_ptr<Reader> reader;
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  try {
    const std::uint64_t generation = generation_.load();
    const bool stale = reader && reader->generation != generation;
    for (int attempt = 1;; ++attempt) {
      try {
        // Commits keep overtaking this read: hold them off for the last try.
        std::unique_lock hold_writes(writer_mu_, std::defer_lock);
        if (attempt == kReadAttempts) hold_writes.lock();
        if (!reader) {
          reader = std::make_unique<Reader>(dir_);
        } else if (stale || attempt > 1) {
          reader->refresh(dir_);
        }
        read(reader->db);
        break;
      } catch (const Xapian::DatabaseModifiedError&) {
        // The revision it was reading is gone: read the latest one.
        if (attempt == kReadAttempts) throw;
      }
    }
    reader->generation = generation;
  } catch (const Xapian::Error& e) {
    // The reader is dropped: a fresh one is opened next time.
    return internalError("search index read: " + e.get_description());
  } catch (const std::exception& e) {
    return internalError(std::string("search index read: ") + e.what());
  }
  std::lock_guard lock(readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
  return Status::ok();
}

Result<std::vector<Hit>> Index::search(const Query& q) const {
  if (q.tenant_id <= 0) return invalidArgument("tenant_id is required", "tenant_id");
  const std::string text = toValidUtf8(q.text, kMaxQueryBytes);
  const std::vector<Xapian::Query> words = queryWords(analyze(text, TokenMode::kQuery));
  if (words.empty()) return std::vector<Hit>{};
  const SnippetTerms snippet_terms = snippetTermsOf(text);
  const int limit = std::clamp(q.limit, 1, kMaxLimit);
  const int offset = std::clamp(q.offset, 0, kMaxOffset);

  std::vector<Hit> hits;
  Status status = withReader([&](Xapian::Database& db) {
    hits.clear();
    const Xapian::Query filter = filterQuery(q.tenant_id, q.kinds, q.category);
    Xapian::Enquire enquire(db);
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_FILTER,
                      Xapian::Query(Xapian::Query::OP_AND, words.begin(), words.end()), filter));
    Xapian::MSet mset = enquire.get_mset(offset, limit);
    // Every word when some document has them all, else any word. A match set
    // smaller than offset + limit is exact, so 0 here means no such document.
    if (mset.get_matches_upper_bound() == 0 && words.size() > 1) {
      enquire.set_query(
          Xapian::Query(Xapian::Query::OP_FILTER,
                        Xapian::Query(Xapian::Query::OP_OR, words.begin(), words.end()), filter));
      mset = enquire.get_mset(offset, limit);
    }
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      hits.push_back(hitOf(it, snippet_terms, true));
    }
  });
  if (!status.isOk()) return status;
  return hits;
}

Result<std::vector<Hit>> Index::suggest(std::int64_t tenant_id, const std::string& category,
                                        const std::vector<std::string>& kinds, int limit) const {
  if (tenant_id <= 0) return invalidArgument("tenant_id is required", "tenant_id");
  if (category.empty()) return invalidArgument("category is required", "category");
  limit = std::clamp(limit, 1, kMaxLimit);
  std::vector<Hit> hits;
  Status status = withReader([&](Xapian::Database& db) {
    hits.clear();
    Xapian::Enquire enquire(db);
    enquire.set_query(filterQuery(tenant_id, kinds, category));
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    enquire.set_sort_by_value(kUpdatedAtSlot, true);  // newest first
    const Xapian::MSet mset = enquire.get_mset(0, limit);
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      hits.push_back(hitOf(it, SnippetTerms{}, false));
    }
  });
  if (!status.isOk()) return status;
  return hits;
}

std::uint64_t Index::size() const {
  std::uint64_t n = 0;
  Status status = withReader([&](Xapian::Database& db) { n = db.get_doccount(); });
  return status.isOk() ? n : 0;
}

}  // namespace ting::search
