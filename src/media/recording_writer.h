#pragma once
// Writes recordings to disk on its own thread, so media loops never touch the
// disk: they hand over blocks of samples (a second or more at a time) and
// carry on. Files are 16-bit PCM WAV at 8 kHz; a file cut short by a crash
// is repaired by repairWav() on the next start.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace ting::media {

class RecordingWriter {
 public:
  using FileId = std::uint64_t;
  // Called on the writer thread once a file is complete: its status and the
  // number of sample frames (per channel) written.
  using Done = std::function<void(Status, std::uint64_t frames)>;

  RecordingWriter();
  // Completes every queued write and closes every file.
  ~RecordingWriter();

  // Thread-safe. Queues the creation of `path` (parent directories too) with
  // `channels` interleaved channels. Errors surface in close()'s Done.
  FileId open(std::filesystem::path path, int channels);
  // Thread-safe. Queues interleaved samples for the file.
  void append(FileId id, std::vector<std::int16_t> samples);
  // Thread-safe. Queues the header update and close.
  void close(FileId id, Done done);

  // Blocks until everything queued so far is on disk (tests, shutdown).
  void flush();

 private:
  struct Op {
    enum Kind { kOpen, kAppend, kClose, kFlush } kind = kOpen;
    FileId id = 0;
    std::filesystem::path path;
    int channels = 1;
    std::vector<std::int16_t> samples;
    Done done;
    std::function<void()> flushed;
  };
  struct File;
  void run();
  void push(Op op);
  void apply(Op& op);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> ops_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  FileId next_id_ = 1;     // guarded by mu_
  std::unordered_map<FileId, std::unique_ptr<File>> files_;  // writer thread only
  std::thread thread_;
};

// Writes a canonical 44-byte WAV header for 16-bit PCM at 8 kHz.
void writeWavHeader(std::uint8_t out[44], int channels, std::uint64_t data_bytes);

// Fixes the RIFF and data sizes of a WAV written by RecordingWriter whose
// header was never completed (the process died while recording). Returns
// true when the file needed a repair.
Result<bool> repairWav(const std::filesystem::path& path);

// Repairs every .wav under `dir` (recursively); returns how many were fixed.
size_t repairRecordings(const std::filesystem::path& dir);

}  // namespace ting::media
