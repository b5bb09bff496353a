#pragma once
// Finished prompts kept in memory, bounded by their audio bytes, least
// recently used evicted first. Not thread-safe: the owner locks.

#include <list>
#include <string>
#include <unordered_map>
#include <utility>

#include "tts/pcm.h"

namespace ting::tts {

class PcmLru {
 public:
  explicit PcmLru(size_t limit_bytes) : limit_bytes_(limit_bytes) {}

  // The entry, now the most recently used; null when absent.
  PcmPtr get(const std::string& id);
  // Adds or replaces, then evicts until within the limit. An entry larger
  // than the whole limit is not kept.
  void put(const std::string& id, PcmPtr pcm);
  void erase(const std::string& id);

  size_t bytes() const { return bytes_; }
  size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, PcmPtr>;
  static size_t bytesOf(const PcmPtr& pcm) { return pcm->size() * sizeof(std::int16_t); }

  size_t limit_bytes_;
  size_t bytes_ = 0;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace ting::tts
