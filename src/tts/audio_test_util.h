#pragma once
// Test helpers: audio files made in memory with libsndfile, and measurements.

#include <sndfile.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace ting::tts::testing {

// A growable in-memory file for libsndfile's virtual I/O.
struct ByteSink {
  std::vector<std::uint8_t> bytes;
  sf_count_t pos = 0;

  static ByteSink& of(void* p) { return *static_cast<ByteSink*>(p); }
  static sf_count_t length(void* p) { return static_cast<sf_count_t>(of(p).bytes.size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* p) {
    ByteSink& s = of(p);
    s.pos = (whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s.pos : length(p)) + offset;
    return s.pos;
  }
  static sf_count_t read(void* dst, sf_count_t n, void* p) {
    ByteSink& s = of(p);
    n = std::max<sf_count_t>(0, std::min(n, length(p) - s.pos));
    std::memcpy(dst, s.bytes.data() + s.pos, static_cast<size_t>(n));
    s.pos += n;
    return n;
  }
  static sf_count_t write(const void* src, sf_count_t n, void* p) {
    ByteSink& s = of(p);
    if (s.bytes.size() < static_cast<size_t>(s.pos + n)) s.bytes.resize(s.pos + n);
    std::memcpy(s.bytes.data() + s.pos, src, static_cast<size_t>(n));
    s.pos += n;
    return n;
  }
  static sf_count_t tell(void* p) { return of(p).pos; }
};

// `interleaved` samples in [-1, 1] encoded as `format` (e.g. SF_FORMAT_WAV |
// SF_FORMAT_PCM_16). Empty when libsndfile refuses the combination.
inline std::vector<std::uint8_t> encodeAudio(std::span<const float> interleaved, int rate,
                                             int channels, int format) {
  ByteSink sink;
  SF_VIRTUAL_IO io{&ByteSink::length, &ByteSink::seek, &ByteSink::read, &ByteSink::write,
                   &ByteSink::tell};
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* file = sf_open_virtual(&io, SFM_WRITE, &info, &sink);
  if (file == nullptr) return {};
  sf_writef_float(file, interleaved.data(), static_cast<sf_count_t>(interleaved.size()) / channels);
  sf_close(file);
  return sink.bytes;
}

// `seconds` of a sine at `hz`, amplitude `amp`, the same on every channel.
inline std::vector<float> sine(double hz, int rate, double seconds, int channels = 1,
                               double amp = 0.5) {
  const auto frames = static_cast<size_t>(std::lround(rate * seconds));
  std::vector<float> out(frames * static_cast<size_t>(channels));
  for (size_t i = 0; i < frames; ++i) {
    const auto v =
        static_cast<float>(amp * std::sin(2 * M_PI * hz * static_cast<double>(i) / rate));
    for (int c = 0; c < channels; ++c) out[i * static_cast<size_t>(channels) + c] = v;
  }
  return out;
}

inline double rms(std::span<const std::int16_t> pcm) {
  if (pcm.empty()) return 0;
  double sum = 0;
  for (auto s : pcm) sum += double(s) * s;
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

// The share of the signal's energy at `hz` (Goertzel), 0..1.
inline double toneShare(std::span<const std::int16_t> pcm, double hz, int rate = 8000) {
  const double w = 2 * M_PI * hz / rate;
  double s1 = 0, s2 = 0, energy = 0;
  for (auto x : pcm) {
    const double s = x + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += double(x) * x;
  }
  const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
  return energy == 0 ? 0 : 2 * power / (energy * static_cast<double>(pcm.size()));
}

}  // namespace ting::tts::testing
