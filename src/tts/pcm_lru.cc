#include "tts/pcm_lru.h"

namespace ting::tts {

PcmPtr PcmLru::get(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void PcmLru::put(const std::string& id, PcmPtr pcm) {
  erase(id);
  const size_t size = bytesOf(pcm);
  if (size > limit_bytes_) return;
  while (bytes_ + size > limit_bytes_) erase(order_.back().first);
  order_.emplace_front(id, std::move(pcm));
  index_.emplace(id, order_.begin());
  bytes_ += size;
}

void PcmLru::erase(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  bytes_ -= bytesOf(it->second->second);
  order_.erase(it->second);
  index_.erase(it);
}

}  // namespace ting::tts
