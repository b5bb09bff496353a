#include "search/tokenize.h"

#include <xapian.h>

#include <algorithm>
#include <cstdint>
#include <map>

namespace ting::search {

namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;
constexpr char32_t kReplacement = 0xFFFD;
// makeSnippet looks at no more text than this.
constexpr std::size_t kMaxSnippetSource = 64 * 1024;
// Digit groups separated by spaces join into one term only when the result
// looks like a phone number or a reference, not a sentence of numbers.
constexpr std::size_t kMinJoinedDigits = 7;
constexpr std::size_t kMaxJoinedDigits = 15;

struct Char {
  char32_t cp = kInvalid;  // kInvalid for a byte that starts no valid sequence
  std::size_t len = 1;     // bytes
};

bool isContinuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// RFC 3629 §4: the well-formed byte sequences, so overlong forms, surrogates
// and code points past U+10FFFF are all invalid (one byte at a time).
Char decodeAt(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kInvalid, 1};
  }
  if (i + len > s.size()) return {kInvalid, 1};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : !isContinuation(b)) return {kInvalid, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

// Full-width ASCII (U+FF01..U+FF5E) as ASCII, the typographic apostrophe as '.
char32_t normalize(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
  if (cp == 0x2019) return '\'';
  return cp;
}

bool inCjkBlock(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x11FF) ||  // Hangul Jamo
         (cp >= 0x2E80 && cp <= 0x2FDF) ||  // CJK and Kangxi radicals
         (cp >= 0x3005 && cp <= 0x3007) ||  // 々 〆 〇
         (cp >= 0x3021 && cp <= 0x3029) ||  // Hangzhou numerals
         (cp >= 0x3040 && cp <= 0x31FF) ||  // kana, Bopomofo, Hangul compatibility
         (cp >= 0x3400 && cp <= 0x4DBF) ||  // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||  // CJK unified ideographs
         (cp >= 0xA960 && cp <= 0xA97F) ||  // Hangul Jamo extended A
         (cp >= 0xAC00 && cp <= 0xD7AF) ||  // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||  // CJK compatibility ideographs
         (cp >= 0xFF66 && cp <= 0xFF9F) ||  // half-width katakana
         (cp >= 0x20000 && cp <= 0x3FFFF);  // CJK extensions B and later
}

enum class CharClass { kOther, kWord, kCjk, kConnector, kApostrophe };

// `cp` already normalized.
CharClass classify(char32_t cp) {
  if (cp == kInvalid) return CharClass::kOther;
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')) {
      return CharClass::kWord;
    }
    if (cp == '-' || cp == '_' || cp == '.' || cp == '@' || cp == '/') {
      return CharClass::kConnector;
    }
    return cp == '\'' ? CharClass::kApostrophe : CharClass::kOther;
  }
  const auto category = Xapian::Unicode::get_category(static_cast<unsigned>(cp));
  if (category == Xapian::Unicode::CONNECTOR_PUNCTUATION) return CharClass::kOther;
  if (!Xapian::Unicode::is_wordchar(static_cast<unsigned>(cp))) return CharClass::kOther;
  return inCjkBlock(cp) ? CharClass::kCjk : CharClass::kWord;
}

void appendLower(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp));
    return;
  }
  Xapian::Unicode::append_utf8(out, Xapian::Unicode::tolower(static_cast<unsigned>(cp)));
}

bool isAsciiDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Walks the text one character at a time.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  std::size_t pos() const { return pos_; }
  // The character at the current position (normalized) and its class.
  Char peek() const { return peekAt(pos_); }
  Char peekAt(std::size_t at) const {
    if (at >= text_.size()) return {kInvalid, 0};
    Char c = decodeAt(text_, at);
    if (c.cp != kInvalid) c.cp = normalize(c.cp);
    return c;
  }
  CharClass classAt(std::size_t at) const {
    return at >= text_.size() ? CharClass::kOther : classify(peekAt(at).cp);
  }
  void advance(std::size_t len) { pos_ += len; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

class Analyzer {
 public:
  Analyzer(std::string_view text, TokenMode mode) : text_(text), scan_(text), mode_(mode) {}

  std::vector<Token> run() {
    while (!scan_.done()) {
      switch (scan_.classAt(scan_.pos())) {
        case CharClass::kCjk:
          cjkRun();
          break;
        case CharClass::kWord:
          wordOrCompound();
          break;
        default:
          scan_.advance(scan_.peek().len);
          break;
      }
    }
    if (mode_ == TokenMode::kIndex) joinDigitGroups();
    std::stable_sort(tokens_.begin(), tokens_.end(),
                     [](const Token& a, const Token& b) { return a.end < b.end; });
    return std::move(tokens_);
  }

 private:
  struct Span {
    std::size_t begin;
    std::size_t end;
  };

  void emit(std::string term, TokenKind kind, std::size_t begin, std::size_t end) {
    if (term.empty() || term.size() > kMaxTermBytes) return;
    tokens_.push_back(Token{std::move(term), kind, begin, end});
  }

  void cjkRun() {
    std::vector<Span> chars;
    while (!scan_.done() && scan_.classAt(scan_.pos()) == CharClass::kCjk) {
      const std::size_t begin = scan_.pos();
      scan_.advance(scan_.peek().len);
      chars.push_back({begin, scan_.pos()});
    }
    auto text_of = [&](std::size_t b, std::size_t e) {
      std::string out;
      for (std::size_t at = b; at < e;) {
        const Char c = scan_.peekAt(at);
        appendLower(out, c.cp);
        at += c.len;
      }
      return out;
    };
    const bool lone = chars.size() == 1;
    for (std::size_t k = 0; k < chars.size(); ++k) {
      if (mode_ == TokenMode::kIndex || lone) {
        emit(text_of(chars[k].begin, chars[k].end), TokenKind::kCjkUnigram, chars[k].begin,
             chars[k].end);
      }
      if (k > 0) {
        emit(text_of(chars[k - 1].begin, chars[k].end), TokenKind::kCjkBigram, chars[k - 1].begin,
             chars[k].end);
      }
    }
  }

  // A word: word characters, with single apostrophes inside ("don't").
  std::string word() {
    std::string out;
    while (!scan_.done()) {
      const CharClass cls = scan_.classAt(scan_.pos());
      const Char c = scan_.peek();
      if (cls == CharClass::kWord) {
        appendLower(out, c.cp);
        scan_.advance(c.len);
      } else if (cls == CharClass::kApostrophe &&
                 scan_.classAt(scan_.pos() + c.len) == CharClass::kWord) {
        out.push_back('\'');
        scan_.advance(c.len);
      } else {
        break;
      }
    }
    return out;
  }

  void wordOrCompound() {
    const std::size_t begin = scan_.pos();
    std::string compound;
    std::string joined;
    bool hyphens_only = true;
    std::size_t parts = 0;
    for (;;) {
      const std::size_t word_begin = scan_.pos();
      std::string w = word();
      compound += w;
      joined += w;
      ++parts;
      emit(std::move(w), TokenKind::kWord, word_begin, scan_.pos());
      // A single connector followed by another word continues the compound.
      if (scan_.classAt(scan_.pos()) != CharClass::kConnector) break;
      const Char connector = scan_.peek();
      if (scan_.classAt(scan_.pos() + connector.len) != CharClass::kWord) break;
      compound.push_back(static_cast<char>(connector.cp));
      hyphens_only = hyphens_only && connector.cp == '-';
      scan_.advance(connector.len);
    }
    if (parts < 2) {
      if (isAsciiDigits(joined)) digit_words_.push_back({begin, scan_.pos()});
      return;
    }
    emit(std::move(compound), TokenKind::kCompound, begin, scan_.pos());
    if (hyphens_only) emit(std::move(joined), TokenKind::kJoined, begin, scan_.pos());
  }

  // "138 0013 8000" → 13800138000 as well, for phone numbers written in groups.
  void joinDigitGroups() {
    std::size_t k = 0;
    while (k < digit_words_.size()) {
      std::size_t last = k;
      while (last + 1 < digit_words_.size() &&
             digit_words_[last + 1].begin == digit_words_[last].end + 1 &&
             text_[digit_words_[last].end] == ' ') {
        ++last;
      }
      if (last > k) {
        std::string joined;
        for (std::size_t g = k; g <= last; ++g) {
          joined.append(
              text_.substr(digit_words_[g].begin, digit_words_[g].end - digit_words_[g].begin));
        }
        if (joined.size() >= kMinJoinedDigits && joined.size() <= kMaxJoinedDigits) {
          emit(std::move(joined), TokenKind::kJoined, digit_words_[k].begin,
               digit_words_[last].end);
        }
      }
      k = last + 1;
    }
  }

  std::string_view text_;
  Scanner scan_;
  TokenMode mode_;
  std::vector<Token> tokens_;
  std::vector<Span> digit_words_;  // standalone words of ASCII digits only
};

bool isSpace(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
         (cp >= 0x80 && cp != kInvalid &&
          Xapian::Unicode::is_whitespace(static_cast<unsigned>(cp)));
}

void appendEscaped(std::string& out, std::string_view ch) {
  if (ch.size() != 1) {
    out.append(ch);
    return;
  }
  switch (ch[0]) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out.push_back(ch[0]);
  }
}

struct Match {
  std::size_t begin;  // characters
  std::size_t end;
  int key;  // which query term or stem
};

// The first character of the window of `width` characters holding the most
// distinct keys, starting a little before one of the matches.
std::size_t bestWindowStart(const std::vector<Match>& matches, std::size_t width) {
  constexpr std::size_t kMaxCandidates = 256;
  const std::size_t lead = width / 5;
  std::size_t best_start = 0;
  std::size_t best_count = 0;
  const std::size_t n = std::min(matches.size(), kMaxCandidates);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t start = matches[i].begin > lead ? matches[i].begin - lead : 0;
    std::vector<int> keys;
    for (std::size_t j = i; j < n && matches[j].end <= start + width; ++j) {
      keys.push_back(matches[j].key);
    }
    std::sort(keys.begin(), keys.end());
    const auto count =
        static_cast<std::size_t>(std::unique(keys.begin(), keys.end()) - keys.begin());
    if (count > best_count) {
      best_count = count;
      best_start = start;
    }
  }
  return best_start;
}

}  // namespace

std::vector<Token> analyze(std::string_view text, TokenMode mode) {
  return Analyzer(text, mode).run();
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> terms;
  for (Token& t : analyze(text, TokenMode::kIndex)) terms.push_back(std::move(t.term));
  return terms;
}

std::string stemOf(std::string_view word) {
  bool has_letter = false;
  for (std::size_t i = 0; i < word.size();) {
    const Char c = decodeAt(word, i);
    if (c.cp == kInvalid) return {};
    const auto category = Xapian::Unicode::get_category(static_cast<unsigned>(c.cp));
    if (category == Xapian::Unicode::DECIMAL_DIGIT_NUMBER) return {};
    has_letter = has_letter || (category >= Xapian::Unicode::UPPERCASE_LETTER &&
                                category <= Xapian::Unicode::OTHER_LETTER);
    i += c.len;
  }
  if (!has_letter) return {};
  // Xapian::Stem keeps state while it works: one per thread.
  thread_local const Xapian::Stem stemmer("english");
  return stemmer(std::string(word));
}

std::string toValidUtf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    const Char c = decodeAt(text, i);
    const std::size_t out_len = c.cp == kInvalid ? 3 : c.len;
    if (out.size() + out_len > max_bytes) break;
    if (c.cp == kInvalid) {
      Xapian::Unicode::append_utf8(out, kReplacement);
    } else if ((c.cp < 0x20 && c.cp != '\t' && c.cp != '\n') || c.cp == 0x7F) {
      out.push_back(' ');
    } else {
      out.append(text.substr(i, c.len));
    }
    i += c.len;
  }
  return out;
}

SnippetTerms snippetTermsOf(std::string_view query_text) {
  SnippetTerms out;
  for (const Token& t : analyze(query_text, TokenMode::kQuery)) {
    out.terms.insert(t.term);
    if (t.kind == TokenKind::kWord) {
      std::string stem = stemOf(t.term);
      if (!stem.empty()) out.stems.insert(std::move(stem));
    }
  }
  return out;
}

std::string makeSnippet(std::string_view raw_text, const SnippetTerms& terms,
                        std::size_t max_chars) {
  if (max_chars == 0) return {};
  const std::string text = toValidUtf8(raw_text, kMaxSnippetSource);

  // Character boundaries, so that windows count characters and never cut one.
  std::vector<std::size_t> starts;  // byte offset of each character
  std::vector<char32_t> cps;
  for (std::size_t i = 0; i < text.size();) {
    const Char c = decodeAt(text, i);
    starts.push_back(i);
    cps.push_back(normalize(c.cp));
    i += c.len;
  }
  const std::size_t total = starts.size();
  auto char_of = [&](std::size_t byte) {
    return static_cast<std::size_t>(std::lower_bound(starts.begin(), starts.end(), byte) -
                                    starts.begin());
  };

  std::map<std::string, int> keys;
  auto key_of = [&](const std::string& k) {
    return keys.emplace(k, static_cast<int>(keys.size())).first->second;
  };
  std::vector<Match> matches;
  for (const Token& t : analyze(text, TokenMode::kIndex)) {
    int key = -1;
    if (terms.terms.count(t.term) != 0) {
      key = key_of(t.term);
    } else if (t.kind == TokenKind::kWord && !terms.stems.empty()) {
      std::string stem = stemOf(t.term);
      if (!stem.empty() && terms.stems.count(stem) != 0) key = key_of("\x01" + stem);
    }
    if (key >= 0) matches.push_back({char_of(t.begin), char_of(t.end), key});
  }
  std::sort(matches.begin(), matches.end(),
            [](const Match& a, const Match& b) { return a.begin < b.begin; });

  std::size_t start = bestWindowStart(matches, max_chars);
  std::size_t end = std::min(total, start + max_chars);
  if (end - start < max_chars) start = end > max_chars ? end - max_chars : 0;
  // Not in the middle of a word, when a word boundary is near.
  constexpr std::size_t kMaxShift = 20;
  auto is_word = [&](std::size_t c) { return classify(cps[c]) == CharClass::kWord; };
  std::size_t first_match = total;
  for (const Match& m : matches) {
    if (m.begin >= start) {
      first_match = m.begin;
      break;
    }
  }
  if (start > 0 && is_word(start - 1) && is_word(start)) {
    std::size_t s = start;
    while (s < end && s < first_match && s - start < kMaxShift && is_word(s)) ++s;
    if (s < end && s < first_match && !is_word(s)) start = s;
  }
  if (end < total && is_word(end - 1) && is_word(end)) {
    std::size_t e = end;
    while (e > start + 1 && end - e < kMaxShift && is_word(e - 1)) --e;
    if (e > start + 1 && !is_word(e - 1)) end = e;
  }

  // Highlighted characters: the union of the matches.
  std::vector<bool> marked(end - start, false);
  for (const Match& m : matches) {
    for (std::size_t c = std::max(m.begin, start); c < std::min(m.end, end); ++c) {
      marked[c - start] = true;
    }
  }

  std::string out;
  if (start > 0) out += "…";
  bool in_mark = false;
  bool after_space = true;  // drops leading whitespace
  for (std::size_t c = start; c < end; ++c) {
    const bool mark = marked[c - start];
    if (mark != in_mark) {
      out += mark ? "<mark>" : "</mark>";
      in_mark = mark;
    }
    if (isSpace(cps[c])) {
      if (!after_space) out.push_back(' ');
      after_space = true;
      continue;
    }
    after_space = false;
    const std::size_t next = c + 1 < total ? starts[c + 1] : text.size();
    appendEscaped(out, std::string_view(text).substr(starts[c], next - starts[c]));
  }
  if (in_mark) out += "</mark>";
  if (!out.empty() && out.back() == ' ') out.pop_back();
  if (end < total) out += "…";
  return out;
}

}  // namespace ting::search
