#pragma once
// Prompt audio for calls: TTS rendered once per (voice, text) and kept on
// disk and in memory, and recordings tenants upload (see prompt_files.h for
// the layout). One worker thread owns the TTS engine and does all rendering
// and file reading, so media loops and call control never wait on either:
// they ask, and get the audio in a callback.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "tts/pcm.h"
#include "tts/pcm_lru.h"
#include "tts/prompt_files.h"
#include "tts/prompt_key.h"
#include "tts/tts_engine.h"

namespace ting::tts {

class PromptCache {
 public:
  // Runs on the worker thread. It must be quick and must not throw: post the
  // result to the caller's own loop and return.
  using Done = std::function<void(Result<PcmPtr>)>;

  static constexpr size_t kDefaultMemoryBytes = 64 << 20;

  // `dir` is <data>/prompts; subdirectories are made as needed. `engine`
  // renders TTS on the worker thread; null means espeak-ng, started on the
  // worker when first needed (TTS requests then fail with kUnavailable if it
  // cannot start). Memory use is bounded by `memory_limit_bytes` of audio.
  explicit PromptCache(std::filesystem::path dir, std::unique_ptr<TtsEngine> engine = nullptr,
                       size_t memory_limit_bytes = kDefaultMemoryBytes);
  // stop(), then joins the worker.
  ~PromptCache();
  PromptCache(const PromptCache&) = delete;
  PromptCache& operator=(const PromptCache&) = delete;

  // Never blocks on rendering or disk. `done` gets the audio, or kNotFound
  // for a missing recording, kInvalidArgument / kInvalidValue for a bad key
  // (the engine's errors), kUnavailable when the cache stops first. It runs
  // on the worker thread (memory hits are delivered ahead of queued work),
  // except after stop(), when it runs at once on the calling thread.
  // Identical requests in flight share one render.
  void request(PromptKey key, Done done);
  // The audio when it is in memory now, else null. Never waits on the worker.
  PcmPtr cached(const PromptKey& key);
  // request() and wait, for the CLI and tests. Never call it from `done`.
  Result<PcmPtr> getBlocking(PromptKey key);
  // Loads or renders `keys` in the background, after any request()s, so
  // first callers need not wait (the server passes published IVR flows'
  // prompts). Errors are only logged.
  void prewarm(std::vector<PromptKey> keys);
  // Stops taking work: the job under way finishes, queued requests get
  // kUnavailable on the worker thread. Does not wait. Idempotent.
  void stop();

  // Uploaded recordings, on the calling thread (decoding a long upload takes
  // a moment; not for media loops). Changing or deleting one drops it from
  // memory, so the next request reads the new file. See PromptFiles.
  Status storeUpload(std::int64_t tenant_id, std::string_view name,
                     std::span<const std::uint8_t> bytes);
  bool uploadExists(std::int64_t tenant_id, std::string_view name) const;
  Status deleteUpload(std::int64_t tenant_id, std::string_view name);
  std::vector<std::string> listUploads(std::int64_t tenant_id) const;

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  void run();
  Result<PcmPtr> load(const PromptKey& key);  // worker thread
  Result<Pcm> render(const PromptKey& key);   // worker thread
  void finish(const JobPtr& job, const Result<PcmPtr>& result);
  JobPtr nextJob();  // requires mu_
  void forget(const std::string& id);

  const PromptFiles files_;
  std::unique_ptr<TtsEngine> engine_;  // used and destroyed by the worker only
  bool default_engine_;                // engine_ is espeak-ng, made on first use

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<JobPtr> hits_;                          // guarded by mu_: memory hits to deliver
  std::deque<JobPtr> urgent_;                        // guarded by mu_: request()s
  std::deque<JobPtr> background_;                    // guarded by mu_: prewarm()s
  std::unordered_map<std::string, JobPtr> loading_;  // guarded by mu_: by key id
  PcmLru memory_;                                    // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::thread worker_;                               // last: starts once all else is set
};

}  // namespace ting::tts
