#include "tts/audio.h"

#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tts/resampler.h"

namespace ting::tts {
namespace {

constexpr int kMinRate = 1000;
constexpr int kMaxRate = 384000;
constexpr int kReadFrames = 1024;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// The first bytes of the containers we accept; anything else never reaches
// libsndfile's parsers.
bool hasAcceptedMagic(std::span<const std::uint8_t> head) {
  auto starts = [&](std::string_view magic) {
    return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
  };
  for (std::string_view magic :
       {"RIFF", "RIFX", "RF64", "BW64", "riff", "FORM", ".snd", "caff", "fLaC", "OggS", "ID3"}) {
    if (starts(magic)) return true;
  }
  // An MPEG audio frame header without an ID3 tag: 11 sync bits, then a
  // version, layer, bit rate and sample rate that are not reserved values.
  return head.size() >= 3 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 &&
         (head[1] & 0x18) != 0x08 && (head[1] & 0x06) != 0 && (head[2] & 0xF0) != 0xF0 &&
         (head[2] & 0x0C) != 0x0C;
}

bool acceptedMajorFormat(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
    case SF_FORMAT_W64:
    case SF_FORMAT_AIFF:
    case SF_FORMAT_AU:
    case SF_FORMAT_CAF:
    case SF_FORMAT_FLAC:
    case SF_FORMAT_OGG:
    case SF_FORMAT_MPEG:
      return true;
    default:
      return false;
  }
}

Status notAudio() {
  return invalidArgument(
      "not an audio file of an accepted format (WAV, AIFF, AU, CAF, FLAC, Ogg, MP3)");
}

// Reads the whole stream in blocks, downmixing and resampling as it goes, so
// memory follows the decoded length and not what the header claims.
Result<Pcm> decodeOpened(SNDFILE* file, const SF_INFO& info, const AudioLimits& limits) {
  if (!acceptedMajorFormat(info.format)) return notAudio();
  if (info.channels < 1 || info.channels > limits.max_channels) {
    return invalidArgument("audio has " + std::to_string(info.channels) + " channels; at most " +
                           std::to_string(limits.max_channels) + " are accepted");
  }
  if (info.samplerate < kMinRate || info.samplerate > kMaxRate) {
    return invalidArgument("audio sample rate " + std::to_string(info.samplerate) +
                           " Hz is outside 1000-384000 Hz");
  }
  const sf_count_t max_frames = static_cast<sf_count_t>(limits.max_seconds) * info.samplerate;
  auto too_long = [&] {
    return invalidArgument("audio is longer than " + std::to_string(limits.max_seconds) +
                           " seconds");
  };
  if (info.frames > max_frames && info.frames != SF_COUNT_MAX) return too_long();

  const auto channels = static_cast<size_t>(info.channels);
  std::vector<float> block(kReadFrames * channels);
  std::vector<float> mono(kReadFrames);
  Resampler resampler(info.samplerate);
  Pcm out;
  sf_count_t total = 0;
  while (true) {
    const sf_count_t got = sf_readf_float(file, block.data(), kReadFrames);
    if (got <= 0) break;
    total += got;
    if (total > max_frames) return too_long();
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0;
      for (size_t c = 0; c < channels; ++c) sum += block[static_cast<size_t>(i) * channels + c];
      mono[static_cast<size_t>(i)] = sum / static_cast<float>(channels) * 32768.0f;
    }
    resampler.push(std::span(mono).first(static_cast<size_t>(got)), out);
  }
  resampler.finish(out);
  // Also when a few samples at a high rate make less than one at 8 kHz.
  if (out.empty()) return invalidArgument("audio has no samples");
  return out;
}

// libsndfile's virtual I/O over a byte span.
struct MemoryFile {
  std::span<const std::uint8_t> bytes;
  sf_count_t pos = 0;

  static MemoryFile& of(void* user) { return *static_cast<MemoryFile*>(user); }
  static sf_count_t length(void* user) { return static_cast<sf_count_t>(of(user).bytes.size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* user) {
    MemoryFile& f = of(user);
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f.pos : length(user);
    sf_count_t target = 0;
    if (__builtin_add_overflow(base, offset, &target) || target < 0) return -1;
    f.pos = target;
    return f.pos;
  }
  static sf_count_t read(void* dst, sf_count_t count, void* user) {
    MemoryFile& f = of(user);
    const sf_count_t size = length(user);
    if (count <= 0 || f.pos >= size) return 0;
    const sf_count_t n = std::min(count, size - f.pos);
    std::memcpy(dst, f.bytes.data() + f.pos, static_cast<size_t>(n));
    f.pos += n;
    return n;
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* user) { return of(user).pos; }
};

std::string errnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (e.g. a delayed write failure).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status fsyncDirectory(const std::filesystem::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return internalError(errnoText("cannot sync directory", dir));
  }
  return Status::ok();
}

}  // namespace

Result<Pcm> decodeAudio(std::span<const std::uint8_t> bytes, const AudioLimits& limits) {
  if (!hasAcceptedMagic(bytes)) return notAudio();
  MemoryFile memory{bytes};
  SF_VIRTUAL_IO io{&MemoryFile::length, &MemoryFile::seek, &MemoryFile::read, &MemoryFile::write,
                   &MemoryFile::tell};
  SF_INFO info{};
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &memory));
  if (!file) return notAudio();
  return decodeOpened(file.get(), info, limits);
}

Result<Pcm> readAudioFile(const std::filesystem::path& path, const AudioLimits& limits) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return notFound("no audio file " + path.string());
    return internalError(errnoText("cannot open", path));
  }
  std::uint8_t head[4] = {};
  const ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  if (n < 0) return internalError(errnoText("cannot read", path));
  if (!hasAcceptedMagic(std::span(head, static_cast<size_t>(n)))) return notAudio();
  SF_INFO info{};
  SndfilePtr file(sf_open_fd(fd.get(), SFM_READ, &info, SF_FALSE));
  if (!file) return notAudio();
  return decodeOpened(file.get(), info, limits);
}

Status writeWav8k(const std::filesystem::path& path, std::span<const std::int16_t> pcm) {
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return internalError(errnoText("cannot create", tmp));

  SF_INFO info{};
  info.samplerate = kTelephoneRate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  bool written = false;
  if (SNDFILE* file = sf_open_fd(fd.get(), SFM_WRITE, &info, SF_FALSE)) {
    const auto size = static_cast<sf_count_t>(pcm.size());
    written = sf_write_short(file, pcm.data(), size) == size;
    written = sf_close(file) == 0 && written;
  }
  written = written && ::fsync(fd.get()) == 0;
  written = fd.close() == 0 && written;
  std::error_code ec;
  if (!written) {
    Status failed = internalError(errnoText("cannot write", tmp));
    std::filesystem::remove(tmp, ec);
    return failed;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    Status failed = internalError("cannot rename " + tmp.string() + " to " + path.string() + ": " +
                                  ec.message());
    std::filesystem::remove(tmp, ec);
    return failed;
  }
  return fsyncDirectory(path.has_parent_path() ? path.parent_path() : ".");
}

}  // namespace ting::tts
