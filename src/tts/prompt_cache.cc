#include "tts/prompt_cache.h"

#include <spdlog/spdlog.h>

#include <future>

#include "common/crypto.h"
#include "tts/espeak_engine.h"

namespace ting::tts {

// One load of one prompt, with everyone waiting for it.
struct PromptCache::Job {
  Job(PromptKey k, std::string i, PcmPtr h = nullptr)
      : key(std::move(k)), id(std::move(i)), hit(std::move(h)) {}

  PromptKey key;
  std::string id;
  std::vector<Done> waiters;  // guarded by mu_
  PcmPtr hit;                 // set: a memory hit to deliver, nothing to load
  bool urgent = false;        // guarded by mu_: queued in urgent_
  bool taken = false;         // guarded by mu_: the worker has it (or it was failed)
  bool stale = false;         // guarded by mu_: its file changed meanwhile; do not keep
};

PromptCache::PromptCache(std::filesystem::path dir, std::unique_ptr<TtsEngine> engine,
                         size_t memory_limit_bytes)
    : files_(std::move(dir)),
      engine_(std::move(engine)),
      default_engine_(engine_ == nullptr),
      memory_(memory_limit_bytes) {
  // Only for sha256Hex; it works even if the CSPRNG were not ready.
  (void)initCrypto();
  worker_ = std::thread([this] { run(); });
}

PromptCache::~PromptCache() {
  stop();
  worker_.join();
}

void PromptCache::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  wake_.notify_all();
}

void PromptCache::request(PromptKey key, Done done) {
  std::string id = key.id();
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    done(unavailable("the prompt cache has stopped"));
    return;
  }
  if (PcmPtr pcm = memory_.get(id)) {
    auto job = std::make_shared<Job>(std::move(key), std::move(id), std::move(pcm));
    job->waiters.push_back(std::move(done));
    hits_.push_back(std::move(job));
  } else if (auto it = loading_.find(id); it != loading_.end()) {
    JobPtr& job = it->second;
    job->waiters.push_back(std::move(done));
    if (!job->urgent) {  // a prewarm someone now waits for: move it ahead
      job->urgent = true;
      urgent_.push_back(job);
    }
  } else {
    auto job = std::make_shared<Job>(std::move(key), id);
    job->waiters.push_back(std::move(done));
    job->urgent = true;
    loading_.emplace(std::move(id), job);
    urgent_.push_back(std::move(job));
  }
  wake_.notify_one();
}

PcmPtr PromptCache::cached(const PromptKey& key) {
  std::string id = key.id();
  std::lock_guard lock(mu_);
  return memory_.get(id);
}

Result<PcmPtr> PromptCache::getBlocking(PromptKey key) {
  std::promise<Result<PcmPtr>> promise;
  auto future = promise.get_future();
  request(std::move(key), [&promise](Result<PcmPtr> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void PromptCache::prewarm(std::vector<PromptKey> keys) {
  std::vector<std::string> ids;
  ids.reserve(keys.size());
  for (const auto& key : keys) ids.push_back(key.id());
  std::lock_guard lock(mu_);
  if (stopping_) return;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (loading_.contains(ids[i]) || memory_.get(ids[i]) != nullptr) continue;
    auto job = std::make_shared<Job>(std::move(keys[i]), ids[i]);
    loading_.emplace(std::move(ids[i]), job);
    background_.push_back(std::move(job));
  }
  wake_.notify_one();
}

PromptCache::JobPtr PromptCache::nextJob() {
  for (auto* queue : {&hits_, &urgent_, &background_}) {
    while (!queue->empty()) {
      JobPtr job = std::move(queue->front());
      queue->pop_front();
      if (!job->taken) {  // a promoted prewarm sits in both queues
        job->taken = true;
        return job;
      }
    }
  }
  return nullptr;
}

void PromptCache::run() {
  while (true) {
    JobPtr job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] {
        return stopping_ || !hits_.empty() || !urgent_.empty() || !background_.empty();
      });
      if (stopping_) break;
      job = nextJob();
    }
    if (job == nullptr) continue;
    if (job->hit != nullptr) {
      finish(job, job->hit);
      continue;
    }
    finish(job, load(job->key));
  }

  // Stopping: fail what is still queued, then let the engine go on this thread.
  std::vector<Done> orphans;
  {
    std::lock_guard lock(mu_);
    while (JobPtr job = nextJob()) {
      for (auto& done : job->waiters) orphans.push_back(std::move(done));
    }
    loading_.clear();
  }
  for (const auto& done : orphans) done(unavailable("the prompt cache has stopped"));
  engine_.reset();
}

void PromptCache::finish(const JobPtr& job, const Result<PcmPtr>& result) {
  std::vector<Done> waiters;
  {
    std::lock_guard lock(mu_);
    if (job->hit == nullptr) {
      if (result && !job->stale) memory_.put(job->id, *result);
      if (auto it = loading_.find(job->id); it != loading_.end() && it->second == job) {
        loading_.erase(it);
      }
    }
    waiters = std::move(job->waiters);
  }
  if (!result && waiters.empty()) {  // a prewarm nobody waits for
    spdlog::warn("prompt {} could not be prepared: {}", job->id, result.status().message());
  }
  for (const auto& done : waiters) done(result);
}

Result<PcmPtr> PromptCache::load(const PromptKey& key) {
  Result<Pcm> pcm = key.isUpload() ? files_.readUpload(key.tenant_id, key.name) : render(key);
  if (!pcm) return pcm.status();
  return std::make_shared<const Pcm>(std::move(pcm).value());
}

Result<Pcm> PromptCache::render(const PromptKey& key) {
  auto cached = files_.readSpeech(key.voice, key.text);
  if (cached) return cached;
  if (cached.status().code() != StatusCode::kNotFound) {
    spdlog::warn("rendering {} again: {}", files_.speechPath(key.voice, key.text).string(),
                 cached.status().message());
  }
  if (engine_ == nullptr && default_engine_) {
    auto espeak = EspeakEngine::create();
    if (!espeak) return espeak.status();
    engine_ = std::move(espeak).value();
  }
  if (engine_ == nullptr) return unavailable("no TTS engine");
  auto pcm = engine_->render(key.voice, key.text);
  if (!pcm) return pcm;
  if (Status s = files_.writeSpeech(key.voice, key.text, *pcm); !s) {
    // The audio is still good; it will be rendered again next time.
    spdlog::warn("TTS cache not written: {}", s.message());
  }
  return pcm;
}

void PromptCache::forget(const std::string& id) {
  std::lock_guard lock(mu_);
  memory_.erase(id);
  if (auto it = loading_.find(id); it != loading_.end()) {
    // A load under way may have read the old file: let it finish for its
    // waiters, but not into memory; later requests start a fresh load.
    it->second->stale = true;
    loading_.erase(it);
  }
}

Status PromptCache::storeUpload(std::int64_t tenant_id, std::string_view name,
                                std::span<const std::uint8_t> bytes) {
  TING_RETURN_IF_ERROR(files_.storeUpload(tenant_id, name, bytes));
  forget(PromptKey::upload(tenant_id, std::string(name)).id());
  return Status::ok();
}

bool PromptCache::uploadExists(std::int64_t tenant_id, std::string_view name) const {
  return files_.uploadExists(tenant_id, name);
}

Status PromptCache::deleteUpload(std::int64_t tenant_id, std::string_view name) {
  TING_RETURN_IF_ERROR(files_.deleteUpload(tenant_id, name));
  forget(PromptKey::upload(tenant_id, std::string(name)).id());
  return Status::ok();
}

std::vector<std::string> PromptCache::listUploads(std::int64_t tenant_id) const {
  return files_.listUploads(tenant_id);
}

}  // namespace ting::tts
