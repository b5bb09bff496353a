#include "media/recording_writer.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>

#include "media/audio.h"

namespace ting::media {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v));
  put16(p + 2, static_cast<std::uint16_t>(v >> 16));
}
std::uint32_t get32(const std::uint8_t* p) {
  return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

constexpr std::uint64_t kMaxWavData = 0xFFFFFFFFull - 36;

}  // namespace

void writeWavHeader(std::uint8_t out[44], int channels, std::uint64_t data_bytes) {
  const std::uint32_t data = static_cast<std::uint32_t>(std::min(data_bytes, kMaxWavData));
  std::memcpy(out, "RIFF", 4);
  put32(out + 4, 36 + data);
  std::memcpy(out + 8, "WAVEfmt ", 8);
  put32(out + 16, 16);
  put16(out + 20, 1);  // PCM
  put16(out + 22, static_cast<std::uint16_t>(channels));
  put32(out + 24, kSampleRate);
  put32(out + 28, static_cast<std::uint32_t>(kSampleRate * channels * 2));
  put16(out + 32, static_cast<std::uint16_t>(channels * 2));
  put16(out + 34, 16);
  std::memcpy(out + 36, "data", 4);
  put32(out + 40, data);
}

struct RecordingWriter::File {
  std::FILE* f = nullptr;
  int channels = 1;
  std::uint64_t bytes = 0;
  Status status;
};

RecordingWriter::RecordingWriter() : thread_([this] { run(); }) {}

RecordingWriter::~RecordingWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  for (auto& [id, file] : files_) {
    if (file->f != nullptr) std::fclose(file->f);
  }
}

void RecordingWriter::push(Op op) {
  {
    std::lock_guard lock(mu_);
    ops_.push_back(std::move(op));
  }
  cv_.notify_one();
}

RecordingWriter::FileId RecordingWriter::open(std::filesystem::path path, int channels) {
  FileId id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
  }
  Op op;
  op.kind = Op::kOpen;
  op.id = id;
  op.path = std::move(path);
  op.channels = channels;
  push(std::move(op));
  return id;
}

void RecordingWriter::append(FileId id, std::vector<std::int16_t> samples) {
  Op op;
  op.kind = Op::kAppend;
  op.id = id;
  op.samples = std::move(samples);
  push(std::move(op));
}

void RecordingWriter::close(FileId id, Done done) {
  Op op;
  op.kind = Op::kClose;
  op.id = id;
  op.done = std::move(done);
  push(std::move(op));
}

void RecordingWriter::flush() {
  std::promise<void> flushed;
  Op op;
  op.kind = Op::kFlush;
  op.flushed = [&flushed] { flushed.set_value(); };
  push(std::move(op));
  flushed.get_future().wait();
}

void RecordingWriter::run() {
  for (;;) {
    std::deque<Op> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !ops_.empty(); });
      if (ops_.empty() && stopping_) return;
      batch.swap(ops_);
    }
    for (auto& op : batch) apply(op);
  }
}

void RecordingWriter::apply(Op& op) {
  switch (op.kind) {
    case Op::kOpen: {
      auto file = std::make_unique<File>();
      file->channels = op.channels;
      std::error_code ec;
      std::filesystem::create_directories(op.path.parent_path(), ec);
      file->f = std::fopen(op.path.c_str(), "wb");
      if (file->f == nullptr) {
        file->status = internalError("cannot create recording " + op.path.string() + ": " +
                                     std::strerror(errno));
        spdlog::error("{}", file->status.message());
      } else {
        // Sizes stay zero until close; repairWav() fills them in after a crash.
        std::uint8_t header[44];
        writeWavHeader(header, op.channels, 0);
        std::fwrite(header, 1, sizeof header, file->f);
      }
      files_[op.id] = std::move(file);
      break;
    }
    case Op::kAppend: {
      auto it = files_.find(op.id);
      if (it == files_.end() || it->second->f == nullptr) break;
      File& file = *it->second;
      const size_t bytes = op.samples.size() * sizeof(std::int16_t);
      if (std::fwrite(op.samples.data(), 1, bytes, file.f) != bytes && file.status.isOk()) {
        file.status = internalError(std::string("recording write failed: ") + std::strerror(errno));
        spdlog::error("{}", file.status.message());
      }
      file.bytes += bytes;
      break;
    }
    case Op::kClose: {
      auto it = files_.find(op.id);
      if (it == files_.end()) {
        if (op.done) op.done(internalError("recording was never opened"), 0);
        break;
      }
      std::unique_ptr<File> file = std::move(it->second);
      files_.erase(it);
      if (file->f != nullptr) {
        std::uint8_t header[44];
        writeWavHeader(header, file->channels, file->bytes);
        std::fflush(file->f);
        if (std::fseek(file->f, 0, SEEK_SET) != 0 ||
            std::fwrite(header, 1, sizeof header, file->f) != sizeof header) {
          if (file->status.isOk()) file->status = internalError("recording header update failed");
        }
        if (std::fclose(file->f) != 0 && file->status.isOk()) {
          file->status = internalError("recording close failed");
        }
      }
      if (op.done) {
        op.done(file->status, file->bytes / (2 * static_cast<std::uint64_t>(file->channels)));
      }
      break;
    }
    case Op::kFlush:
      for (auto& [id, file] : files_) {
        if (file->f != nullptr) std::fflush(file->f);
      }
      op.flushed();
      break;
  }
}

Result<bool> repairWav(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return internalError("cannot stat " + path.string());
  if (size < 44) return invalidValue(path.string() + " is shorter than a WAV header");
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (f == nullptr) return internalError("cannot open " + path.string());
  std::uint8_t header[44];
  bool ok = std::fread(header, 1, 44, f) == 44 && std::memcmp(header, "RIFF", 4) == 0 &&
            std::memcmp(header + 36, "data", 4) == 0;
  if (!ok) {
    std::fclose(f);
    return invalidValue(path.string() + " is not a recording Ting wrote");
  }
  const int channels = header[22] | (header[23] << 8);
  std::uint64_t data = size - 44;
  data -= data % (2 * static_cast<std::uint64_t>(std::max(channels, 1)));
  if (get32(header + 40) == std::min(data, kMaxWavData)) {
    std::fclose(f);
    return false;
  }
  writeWavHeader(header, channels, data);
  bool written = std::fseek(f, 0, SEEK_SET) == 0 && std::fwrite(header, 1, 44, f) == 44;
  written = std::fclose(f) == 0 && written;
  if (!written) return internalError("cannot rewrite the header of " + path.string());
  return true;
}

size_t repairRecordings(const std::filesystem::path& dir) {
  size_t repaired = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".wav") continue;
    auto r = repairWav(it->path());
    if (r.isOk() && *r) {
      spdlog::warn("repaired recording {} (cut short by a crash)", it->path().string());
      ++repaired;
    }
  }
  return repaired;
}

}  // namespace ting::media
