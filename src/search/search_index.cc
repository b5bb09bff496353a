#include "search/search_index.h"

#include <stdlib.h>  // mkdtemp
#include <xapian.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "search/tokenize.h"

namespace ting::search {

namespace {

// Every term but the id term is scoped to its document's tenant: the tenant
// id and ':' (scopeOf), then a content term (lowercase) or a prefixed one
// (Xapian's convention: capital letters). A search so walks the posting lists
// of its tenant's documents only, with no tenant filter to intersect, and
// ranks by its tenant's term statistics.
constexpr char kKindPrefix = 'K';
constexpr char kCategoryPrefix = 'C';
constexpr char kIdPrefix = 'Q';
constexpr char kStemPrefix = 'Z';

// Ranking is BM25 (Xapian's parameters: k1 = 1, b = 0.5, lengths below half
// the average counting as half), with the length normalisation done when a
// document is indexed rather than for every candidate of every search: a
// term occurring tf times (a title occurrence counting kTitleWeight) in a
// document of `length` such occurrences gets the wdf
//   tf × kWdfScale / ((1 - b) + b × max(length / kReferenceLength, 0.5)),
// and searches weigh with k1 × kWdfScale and b = 0. That is BM25's term
// frequency part, tf / (k1 × ((1 - b) + b × normalised length) + tf), up to
// rounding and a constant factor, against a fixed average length. Looking up
// each candidate's length (b > 0) took three quarters of a search's time.
constexpr double kK1 = 1;
constexpr double kB = 0.5;
constexpr double kMinNormalisedLength = 0.5;
// About a work order's or a customer card's length, in occurrences.
constexpr double kReferenceLength = 100;
// Resolution of the normalised wdf (an integer).
constexpr double kWdfScale = 16;

// Database metadata naming the layout of terms and wdfs above. An index
// without it (or with another) was written by an earlier version, whose terms
// searches would not find.
constexpr const char* kLayoutKey = "ting.search.layout";
constexpr const char* kLayout = "2: tenant-scoped terms, length-normalised wdf";

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

std::string scopeOf(std::int64_t tenant_id) {
  return std::to_string(tenant_id) + ':';
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

// A document's terms and how often each occurs.
class TermCounts {
 public:
  explicit TermCounts(std::string scope) : scope_(std::move(scope)) {}

  // Terms of `text`, each occurrence counting `weight`; words also under their stem.
  void add(std::string_view text, int weight) {
    for (const Token& t : analyze(text, TokenMode::kIndex)) {
      count(scope_ + t.term, weight);
      if (t.kind != TokenKind::kWord) continue;
      auto [it, fresh] = stems_.try_emplace(t.term);
      if (fresh) {
        std::string stem = stemOf(t.term);
        if (!stem.empty()) it->second = scope_ + kStemPrefix + stem;
      }
      if (!it->second.empty()) count(it->second, weight);
    }
  }

  // Adds the terms to `doc` with their length-normalised wdf (see kK1).
  void addTo(Xapian::Document& doc) const {
    const double normalised =
        std::max(static_cast<double>(length_) / kReferenceLength, kMinNormalisedLength);
    const double scale = kWdfScale / ((1 - kB) + kB * normalised);
    for (const auto& [term, tf] : counts_) {
      const auto wdf = std::lround(static_cast<double>(tf) * scale);
      doc.add_term(term, static_cast<Xapian::termcount>(std::max(wdf, 1L)));
    }
  }

 private:
  void count(const std::string& term, int weight) {
    counts_[term] += weight;
    length_ += weight;
  }

  const std::string scope_;
  std::unordered_map<std::string, Xapian::termcount> counts_;
  std::uint64_t length_ = 0;
  std::unordered_map<std::string, std::string> stems_;  // word → scoped "Z" + stem, or ""
};

// One thing the user typed: a word, a CJK bigram (or lone character), or a
// compound.
struct QueryUnit {
  Xapian::Query query;
  // The unit matches no document in which none of these terms occurs.
  std::vector<std::string> terms;
  // The bigrams of one run of CJK characters share a group; any other unit
  // is a group of its own.
  int group = 0;
};

// A word as typed or any word of its stem; the word as typed matches both.
Xapian::Query wordQuery(const std::string& scope, const std::string& word,
                        std::vector<std::string>& terms) {
  terms.push_back(scope + word);
  const std::string stem = stemOf(word);
  if (stem.empty()) return Xapian::Query(terms.back());
  terms.push_back(scope + kStemPrefix + stem);
  return Xapian::Query(Xapian::Query::OP_OR, Xapian::Query(terms[terms.size() - 2]),
                       Xapian::Query(terms.back()));
}

// The units of a query of `scope`'s tenant, at most kMaxQueryWords: words,
// CJK bigrams (or lone characters), compounds (their words, ranked higher
// when written the same way, or they without hyphens).
std::vector<QueryUnit> queryUnits(const std::string& scope, const std::vector<Token>& tokens) {
  struct Unit {
    QueryUnit unit;
    std::size_t begin;
    std::size_t end;
    TokenKind kind;
  };
  std::vector<Unit> units;
  int groups = 0;
  for (const Token& t : tokens) {
    switch (t.kind) {
      case TokenKind::kWord: {
        QueryUnit u;
        u.query = wordQuery(scope, t.term, u.terms);
        u.group = groups++;
        units.push_back({std::move(u), t.begin, t.end, t.kind});
        break;
      }
      case TokenKind::kCjkUnigram:
      case TokenKind::kCjkBigram: {
        QueryUnit u;
        u.terms.push_back(scope + t.term);
        u.query = Xapian::Query(u.terms.back());
        // Bigrams of one run overlap by a character.
        const bool same_run = t.kind == TokenKind::kCjkBigram && !units.empty() &&
                              units.back().kind == TokenKind::kCjkBigram &&
                              units.back().end > t.begin;
        u.group = same_run ? units.back().unit.group : groups++;
        units.push_back({std::move(u), t.begin, t.end, t.kind});
        break;
      }
      case TokenKind::kCompound: {
        // Its words are the units just before it (analyze() orders by end).
        auto first = units.end();
        while (first != units.begin() && std::prev(first)->begin >= t.begin) --first;
        QueryUnit u;
        std::vector<Xapian::Query> parts;
        for (auto it = first; it != units.end(); ++it) {
          parts.push_back(it->unit.query);
          u.terms.insert(u.terms.end(), it->unit.terms.begin(), it->unit.terms.end());
        }
        units.erase(first, units.end());
        u.terms.push_back(scope + t.term);
        u.query = Xapian::Query(Xapian::Query::OP_AND_MAYBE,
                                Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end()),
                                Xapian::Query(u.terms.back()));
        u.group = groups++;
        units.push_back({std::move(u), t.begin, t.end, t.kind});
        break;
      }
      case TokenKind::kJoined:
        if (!units.empty() && units.back().kind == TokenKind::kCompound &&
            units.back().begin == t.begin && units.back().end == t.end) {
          QueryUnit& u = units.back().unit;
          u.terms.push_back(scope + t.term);
          u.query = Xapian::Query(Xapian::Query::OP_OR, u.query, Xapian::Query(u.terms.back()));
        }
        break;
    }
  }
  std::vector<QueryUnit> out;
  for (std::size_t k = 0; k < units.size() && k < kMaxQueryWords; ++k) {
    out.push_back(std::move(units[k].unit));
  }
  return out;
}

// The queries a search tries in turn, until one matches: every unit; else
// any group (a CJK run whole, a word, a compound); else any unit. `units`
// not empty.
std::vector<Xapian::Query> relaxations(const std::vector<const QueryUnit*>& units) {
  std::vector<Xapian::Query> each;
  std::vector<std::vector<Xapian::Query>> groups;
  int last_group = -1;
  for (const QueryUnit* u : units) {
    each.push_back(u->query);
    // Units of a group are adjacent.
    if (groups.empty() || u->group != last_group) groups.emplace_back();
    groups.back().push_back(u->query);
    last_group = u->group;
  }
  std::vector<Xapian::Query> out;
  out.emplace_back(Xapian::Query::OP_AND, each.begin(), each.end());
  if (groups.size() > 1) {
    std::vector<Xapian::Query> any;
    for (const auto& group : groups) {
      any.emplace_back(Xapian::Query::OP_AND, group.begin(), group.end());
    }
    out.emplace_back(Xapian::Query::OP_OR, any.begin(), any.end());
  }
  if (groups.size() < each.size()) out.emplace_back(Xapian::Query::OP_OR, each.begin(), each.end());
  return out;
}

// A term of `scope` that no document has: a filter naming it matches nothing.
std::string impossibleTerm(const std::string& scope) {
  return scope + kKindPrefix;
}

// The boolean filter for `kinds` (any kind when empty) and `category` (any
// when empty) of `scope`'s tenant, or nullopt when it would keep every
// document: no category, and kinds naming every kind the tenant has.
// Kinds and categories that cannot exist match nothing.
std::optional<Xapian::Query> filterQuery(const Xapian::Database& db, const std::string& scope,
                                         const std::vector<std::string>& kinds,
                                         const std::string& category) {
  std::vector<Xapian::Query> all;
  if (!kinds.empty()) {
    std::vector<Xapian::Query> any;
    for (const std::string& kind : kinds) {
      if (validKind(kind)) any.emplace_back(scope + kKindPrefix + kind);
    }
    if (any.empty()) return Xapian::Query(impossibleTerm(scope));
    const std::string kind_prefix = scope + kKindPrefix;
    bool every_kind = true;
    for (auto it = db.allterms_begin(kind_prefix); it != db.allterms_end(kind_prefix); ++it) {
      const std::string kind = (*it).substr(kind_prefix.size());
      every_kind = every_kind && std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
    }
    if (!every_kind) all.emplace_back(Xapian::Query::OP_OR, any.begin(), any.end());
  }
  if (!category.empty()) {
    all.emplace_back(category.size() <= kMaxCategoryBytes ? scope + kCategoryPrefix + category
                                                          : impossibleTerm(scope));
  }
  if (all.empty()) return std::nullopt;
  return Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end());
}

Xapian::Query filtered(const Xapian::Query& query, const std::optional<Xapian::Query>& filter) {
  return filter ? Xapian::Query(Xapian::Query::OP_FILTER, query, *filter) : query;
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
    const std::string layout = writer->get_metadata(kLayoutKey);
    if (layout.empty() && writer->get_doccount() == 0) {
      writer->set_metadata(kLayoutKey, kLayout);
    } else if (layout != kLayout) {
      // Written by an earlier version of Ting: the index is derived data, so
      // it starts again empty (with whatever else the directory held, such as
      // the sync's cursors) and is filled anew from the database.
      writer->close();
      writer.reset();
      fs::remove_all(path, ec);
      fs::create_directories(path, ec);
      if (ec) return unavailable("cannot recreate the index directory " + path + ": " + ec.message());
      writer = std::make_unique<Xapian::WritableDatabase>(path, flags);
      writer->set_metadata(kLayoutKey, kLayout);
    }
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
    const std::string scope = scopeOf(d.tenant_id);
    TermCounts terms(scope);
    terms.add(title, kTitleWeight);
    terms.add(body, 1);
    Xapian::Document doc;
    terms.addTo(doc);
    doc.add_boolean_term(scope + kKindPrefix + d.kind);
    if (!d.category.empty()) doc.add_boolean_term(scope + kCategoryPrefix + d.category);
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
  const std::string scope = scopeOf(q.tenant_id);
  const std::vector<QueryUnit> units = queryUnits(scope, analyze(text, TokenMode::kQuery));
  if (units.empty()) return std::vector<Hit>{};
  const SnippetTerms snippet_terms = snippetTermsOf(text);
  const int limit = std::clamp(q.limit, 1, kMaxLimit);
  const int offset = std::clamp(q.offset, 0, kMaxOffset);

  std::vector<Hit> hits;
  Status status = withReader([&](Xapian::Database& db) {
    hits.clear();
    // A unit none of whose terms the tenant has cannot match: it is left out
    // (a mistyped or unknown word, number or reference), which spares the
    // relaxations below.
    std::vector<const QueryUnit*> present;
    for (const QueryUnit& u : units) {
      if (std::any_of(u.terms.begin(), u.terms.end(),
                      [&](const std::string& term) { return db.term_exists(term); })) {
        present.push_back(&u);
      }
    }
    if (present.empty()) return;
    const std::optional<Xapian::Query> filter = filterQuery(db, scope, q.kinds, q.category);
    Xapian::Enquire enquire(db);
    // Lengths are in the wdfs already (see kK1).
    enquire.set_weighting_scheme(
        Xapian::BM25Weight(kK1 * kWdfScale, 0, 1, 0, kMinNormalisedLength));
    Xapian::MSet mset;
    for (const Xapian::Query& query : relaxations(present)) {
      enquire.set_query(filtered(query, filter));
      mset = enquire.get_mset(offset, limit);
      // A match set smaller than offset + limit is exact, so 0 here means no
      // matching document.
      if (mset.get_matches_upper_bound() > 0) break;
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
    const std::string scope = scopeOf(tenant_id);
    const std::optional<Xapian::Query> filter = filterQuery(db, scope, kinds, category);
    // `category` is not empty, so there is a filter.
    assert(filter.has_value());
    Xapian::Enquire enquire(db);
    enquire.set_query(*filter);
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
