#pragma once
// Full-text search over knowledge-base articles, reply scripts, work orders
// and customer cards, in Chinese and English, on Xapian (glass backend).
//
// Terms come from search/tokenize.h for documents and queries alike: CJK text
// as character bigrams (and single characters), other text as lowercased
// words plus their English stems, references and phone numbers whole.
// Ranking is BM25, its length normalisation done when a document is
// indexed; a title counts kTitleWeight times a body occurrence, and a word as
// typed outweighs another word of the same stem (it matches both the word and
// the stem). A query is the user's words (and CJK bigrams), leaving out those
// the tenant's documents never contain: all of them when some document has
// them all, else any whole word (a CJK run with all its bigrams), else any
// of them. There is no query syntax (quotes, + and - separate words; AND and
// OR are words), so no input is malformed.
//
// Tenants: every document belongs to one tenant, and its terms are scoped to
// that tenant inside the index; every search and suggestion uses the
// caller's tenant's terms only, so a tenant never sees another's documents
// and searches walk no other tenant's postings.
//
// Threads: all methods may be called from any thread at once. Writes
// (put, remove, commit) go through the one Xapian::WritableDatabase under
// `writer_mu_`. Reads (search, suggest, size) normally do not take that
// lock: each call borrows a Xapian::Database of its own from a pool (a Xapian
// object is used by one thread at a time), reopened when a commit happened
// since it was last used, so reads see the last commit. Only a read that
// commits keep overtaking (Xapian keeps few old revisions) takes the lock,
// for one last try.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace Xapian {
class Database;
class WritableDatabase;
}  // namespace Xapian

namespace ting::search {

// How many times a title occurrence counts (as within-document frequency).
inline constexpr int kTitleWeight = 3;
// Query text past this many bytes is ignored, and so are words past this many.
inline constexpr std::size_t kMaxQueryBytes = 1024;
inline constexpr std::size_t kMaxQueryWords = 32;
// Title plus body past this many bytes is neither indexed nor stored.
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;

struct Document {
  std::string kind;            // "article", "script", "work_order", "customer": [a-z_]{1,32}
  std::int64_t tenant_id = 0;  // > 0
  std::int64_t id = 0;         // unique within (tenant, kind)
  std::string title;           // weighted higher than body
  std::string body;
  std::string category;  // optional key for suggestions by category, e.g. "12"; ≤ 64 bytes
  // "zh", "en" or "" (mixed/unknown). Advisory: every text gets the same
  // analysis (CJK n-grams and English stems), which suits Chinese with
  // English words in it and English alike.
  std::string lang;
  UnixMillis updated_at = 0;  // orders suggestions, newest first
};

struct Hit {
  std::string kind;
  std::int64_t id = 0;
  double score = 0;   // BM25; 0 for suggestions
  std::string title;  // as stored (valid UTF-8, not escaped)
  // About 160 characters of title and body around the matched terms, HTML-escaped,
  // matches wrapped in <mark>…</mark>, valid UTF-8.
  std::string snippet;
};

struct Query {
  std::int64_t tenant_id = 0;      // mandatory (> 0): only this tenant's documents, always
  std::string text;                // user input, Chinese and/or English, may contain anything
  std::vector<std::string> kinds;  // empty: all kinds
  std::string category;            // empty: any
  int limit = 20;                  // clamped to 1..100
  int offset = 0;                  // clamped to 0..10000
};

class Index {
 public:
  // Opens (creating) an on-disk index in `dir`. "" opens a private, throwaway
  // index for tests: a temporary directory, written without fsync and deleted
  // by the destructor (Xapian's in-memory backend cannot be shared between a
  // writer and separate readers, and this keeps tests on the real code path).
  // kUnavailable when another process holds the index open for writing. An
  // index an earlier version of Ting wrote (its terms laid out otherwise) is
  // removed with everything else in `dir` and starts again empty, to be
  // refilled from the database.
  static Result<std::unique_ptr<Index>> open(const std::string& dir);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Adds or replaces the document (kind, tenant_id, id). Visible to searches
  // after the next commit(). kInvalidArgument for a bad kind, tenant or category.
  Status put(const Document& d);
  // Removes it, if it is there (no error when it is not).
  Status remove(const std::string& kind, std::int64_t tenant_id, std::int64_t id);
  // Makes earlier writes visible to searches and durable. (Xapian may also
  // commit by itself after many writes.)
  Status commit();

  // Ranked hits of q.tenant_id's documents. Empty when the text has no
  // searchable term. kInvalidArgument only for a missing tenant.
  Result<std::vector<Hit>> search(const Query& q) const;
  // Suggestions for a work-order category: the tenant's documents of `kinds`
  // (any kind when empty) with that category, newest first (by updated_at).
  // Snippets are the start of the text. kInvalidArgument for a missing tenant
  // or category.
  Result<std::vector<Hit>> suggest(std::int64_t tenant_id, const std::string& category,
                                   const std::vector<std::string>& kinds, int limit) const;
  // Documents visible to searches (all tenants).
  std::uint64_t size() const;

 private:
  struct Reader;

  Index(std::string dir, bool throwaway, std::unique_ptr<Xapian::WritableDatabase> writer);

  // Runs `read` (perhaps more than once) on a pooled reader, retrying when
  // commits overtook it (Xapian::DatabaseModifiedError); after a few tries it
  // runs holding `writer_mu_`, so that it cannot be overtaken. Xapian errors
  // become kInternal.
  Status withReader(const std::function<void(Xapian::Database&)>& read) const;

  const std::string dir_;
  const bool throwaway_;

  mutable std::mutex writer_mu_;
  std::unique_ptr<Xapian::WritableDatabase> writer_;  // guarded by writer_mu_

  // Commits so far; a pooled reader opened at an older one is reopened.
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex readers_mu_;
  mutable std::vector<std::unique_ptr<Reader>> idle_readers_;  // guarded by readers_mu_
};

}  // namespace ting::search
