#pragma once
// Text analysis shared by indexing, querying and snippets, so that the three
// always agree on what a term is.
//
// Chinese, Japanese and Korean have no spaces between words, so a run of CJK
// characters is indexed as overlapping bigrams plus its single characters
// ("宽带故障" → 宽带 带故 故障 and 宽 带 故 障); a query uses the bigrams of a
// run (or the character, for a run of one), which finds any part of a word
// of two characters or more without a dictionary. Other scripts are split
// into words at anything that is not a letter, mark or digit, lowercased.
// Words joined by - _ . @ / (references, e-mail addresses, phone numbers as
// written) are also kept whole, and those joined by hyphens also without
// them, so "C20261122-0042", "138-0013-8000" and "13800138000" are findable
// as typed. Full-width ASCII (１３８, ＡＢＣ) reads as ASCII. Invalid UTF-8
// separates words and is never part of a term.
//
// Every function here is pure and thread-safe.

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ting::search {

// Longer words (base64 blobs, hashes, junk) are not terms.
inline constexpr std::size_t kMaxTermBytes = 64;

enum class TokenKind {
  kWord,        // letters and digits, lowercased: "refunds", "13800138000", "c20261122"
  kCjkUnigram,  // one CJK character
  kCjkBigram,   // two adjacent CJK characters
  kCompound,    // words joined by - _ . @ /, as written: "c20261122-0042", "a.b@example.com"
  kJoined,      // the same without its hyphens ("c202611220042"), or, when indexing, digit
                // groups separated by single spaces ("138 0013 8000" → "13800138000")
};

enum class TokenMode {
  kIndex,  // every term a document should be found by
  kQuery,  // what a query needs: CJK bigrams only (a lone character as itself), no
           // space-separated digit groups
};

struct Token {
  std::string term;  // lowercased, valid UTF-8, 1..kMaxTermBytes bytes
  TokenKind kind = TokenKind::kWord;
  // Byte offsets of the token in the analysed text: [begin, end). A compound
  // or joined token spans the words it is made of; those come before it.
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The tokens of `text` in order of their end offset.
std::vector<Token> analyze(std::string_view text, TokenMode mode);

// The index terms of `text` (the terms of analyze(text, kIndex)), duplicates kept.
std::vector<std::string> tokenize(std::string_view text);

// The English stem of a word token ("refunds" → "refund"), or "" when the word
// has a digit or no letter (numbers and references are not stemmed).
std::string stemOf(std::string_view word);

// `text` as valid UTF-8 of at most `max_bytes` bytes: invalid sequences become
// U+FFFD, NUL and other C0 controls but tab and newline become spaces, and a
// cut never splits a character.
std::string toValidUtf8(std::string_view text, std::size_t max_bytes);

// What a snippet highlights: the query's terms, and the stems of its words.
struct SnippetTerms {
  std::set<std::string> terms;
  std::set<std::string> stems;
};
SnippetTerms snippetTermsOf(std::string_view query_text);

// An extract of about `max_chars` characters of `text` (valid UTF-8) around
// the part with the most distinct query terms, HTML-escaped, with matches in
// <mark>…</mark>, whitespace runs shown as one space and "…" where it is cut.
// The start of the text when nothing matches. Only the first 64 KiB of text
// are looked at.
std::string makeSnippet(std::string_view text, const SnippetTerms& terms,
                        std::size_t max_chars = 160);

}  // namespace ting::search
