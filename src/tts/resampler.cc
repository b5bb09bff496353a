#include "tts/resampler.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace ting::tts {
namespace {

std::int16_t toSample(float v) {
  if (std::isnan(v)) return 0;  // a float file may hold NaN
  return static_cast<std::int16_t>(std::lrint(std::clamp(v, -32768.0f, 32767.0f)));
}

}  // namespace

Resampler::Resampler(int in_rate, int quality) : in_rate_(in_rate) {
  assert(in_rate > 0);
  if (in_rate_ == kTelephoneRate) return;
  int err = 0;
  state_ = speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate_), kTelephoneRate,
                                std::clamp(quality, 0, 10), &err);
  // Fails only on allocation or invalid arguments, which the assert above excludes.
  assert(state_ != nullptr);
  // Align the output with the input instead of starting with the filter's delay.
  speex_resampler_skip_zeros(state_);
}

Resampler::~Resampler() {
  if (state_ != nullptr) speex_resampler_destroy(state_);
}

void Resampler::push(std::span<const float> in, Pcm& out) {
  in_total_ += in.size();
  process(in, out);
}

void Resampler::process(std::span<const float> in, Pcm& out) {
  if (state_ == nullptr) {
    for (float v : in) out.push_back(toSample(v));
    out_total_ += in.size();
    return;
  }
  float buffer[1024];
  while (!in.empty()) {
    spx_uint32_t in_len = static_cast<spx_uint32_t>(std::min<size_t>(in.size(), 4096));
    spx_uint32_t out_len = std::size(buffer);
    speex_resampler_process_float(state_, 0, in.data(), &in_len, buffer, &out_len);
    for (spx_uint32_t i = 0; i < out_len; ++i) out.push_back(toSample(buffer[i]));
    out_total_ += out_len;
    in = in.subspan(in_len);
  }
}

void Resampler::finish(Pcm& out) {
  const std::uint64_t expected =
      (in_total_ * kTelephoneRate + static_cast<std::uint64_t>(in_rate_) / 2) /
      static_cast<std::uint64_t>(in_rate_);
  if (state_ != nullptr) {
    // Push zeros through so the samples still inside the filter come out.
    const std::vector<float> zeros(
        static_cast<size_t>(speex_resampler_get_input_latency(state_)) + 1, 0.0f);
    while (out_total_ < expected) {
      const std::uint64_t before = out_total_;
      process(zeros, out);
      if (out_total_ == before) break;
    }
  }
  if (out_total_ > expected) {
    out.resize(out.size() - static_cast<size_t>(out_total_ - expected));
    out_total_ = expected;
  }
}

Pcm resampleTo8k(std::span<const std::int16_t> in, int in_rate) {
  Resampler resampler(in_rate);
  Pcm out;
  out.reserve(in.size() * kTelephoneRate / static_cast<size_t>(in_rate) + 1);
  std::vector<float> chunk;
  while (!in.empty()) {
    const size_t n = std::min<size_t>(in.size(), 4096);
    chunk.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    resampler.push(chunk, out);
    in = in.subspan(n);
  }
  resampler.finish(out);
  return out;
}

}  // namespace ting::tts
