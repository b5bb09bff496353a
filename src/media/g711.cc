#include "media/g711.h"

#include <array>
#include <cassert>

namespace ting::media {

namespace {

constexpr int kUlawBias = 0x84;   // G.711 mu-law: bias added before finding the segment
constexpr int kUlawClip = 32635;  // largest magnitude that survives the bias

// Position of the highest set bit among bits 7..14 of a biased magnitude: the
// segment (exponent) of both laws.
int segmentOf(int magnitude) {
  int segment = 7;
  for (int mask = 0x4000; (magnitude & mask) == 0 && segment > 0; mask >>= 1) --segment;
  return segment;
}

std::array<std::int16_t, 256> buildUlawTable() {
  std::array<std::int16_t, 256> t{};
  for (int code = 0; code < 256; ++code) {
    int u = ~code & 0xff;
    int exponent = (u >> 4) & 0x07;
    int mantissa = u & 0x0f;
    int magnitude = ((mantissa << 3) + kUlawBias) << exponent;
    magnitude -= kUlawBias;
    t[code] = static_cast<std::int16_t>((u & 0x80) ? -magnitude : magnitude);
  }
  return t;
}

std::array<std::int16_t, 256> buildAlawTable() {
  std::array<std::int16_t, 256> t{};
  for (int code = 0; code < 256; ++code) {
    int a = code ^ 0x55;  // even bits are inverted on the line
    int exponent = (a >> 4) & 0x07;
    int mantissa = a & 0x0f;
    int magnitude =
        exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
    t[code] = static_cast<std::int16_t>((a & 0x80) ? magnitude : -magnitude);
  }
  return t;
}

const std::array<std::int16_t, 256>& ulawTable() {
  static const auto kTable = buildUlawTable();
  return kTable;
}

const std::array<std::int16_t, 256>& alawTable() {
  static const auto kTable = buildAlawTable();
  return kTable;
}

}  // namespace

std::uint8_t linearToUlaw(std::int16_t sample) {
  int s = sample;
  int sign = s < 0 ? 0x80 : 0x00;
  int magnitude = s < 0 ? -s : s;
  if (magnitude > kUlawClip) magnitude = kUlawClip;
  magnitude += kUlawBias;
  int exponent = segmentOf(magnitude);
  int mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

std::int16_t ulawToLinear(std::uint8_t code) {
  return ulawTable()[code];
}

std::uint8_t linearToAlaw(std::int16_t sample) {
  int s = sample;
  int sign = s >= 0 ? 0x80 : 0x00;     // A-law: set sign bit means positive
  int magnitude = s < 0 ? -s - 1 : s;  // -32768 maps like 32767
  if (magnitude > 32767) magnitude = 32767;
  int code;
  if (magnitude < 256) {
    code = magnitude >> 4;
  } else {
    int exponent = 0;  // 256..511 → 1, ..., 16384..32767 → 7
    for (int m = magnitude >> 8; m > 0; m >>= 1) ++exponent;
    int mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    code = (exponent << 4) | mantissa;
  }
  return static_cast<std::uint8_t>((sign | code) ^ 0x55);
}

std::int16_t alawToLinear(std::uint8_t code) {
  return alawTable()[code];
}

namespace {

// Encoding is a table lookup per sample: the media loops encode every frame
// of every call, and the segment search costs more than the 64 KiB.
using EncodeTable = std::array<std::uint8_t, 65536>;

template <std::uint8_t (*Encode)(std::int16_t)>
const EncodeTable& encodeTable() {
  static const EncodeTable table = [] {
    EncodeTable t{};
    for (int v = -32768; v <= 32767; ++v) {
      t[static_cast<std::uint16_t>(v)] = Encode(static_cast<std::int16_t>(v));
    }
    return t;
  }();
  return table;
}

void encodeWith(const EncodeTable& t, std::span<const std::int16_t> in,
                std::span<std::uint8_t> out) {
  assert(out.size() >= in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = t[static_cast<std::uint16_t>(in[i])];
}

}  // namespace

void encodeUlaw(std::span<const std::int16_t> in, std::span<std::uint8_t> out) {
  encodeWith(encodeTable<linearToUlaw>(), in, out);
}

void decodeUlaw(std::span<const std::uint8_t> in, std::span<std::int16_t> out) {
  assert(out.size() >= in.size());
  const auto& t = ulawTable();
  for (size_t i = 0; i < in.size(); ++i) out[i] = t[in[i]];
}

void encodeAlaw(std::span<const std::int16_t> in, std::span<std::uint8_t> out) {
  encodeWith(encodeTable<linearToAlaw>(), in, out);
}

void decodeAlaw(std::span<const std::uint8_t> in, std::span<std::int16_t> out) {
  assert(out.size() >= in.size());
  const auto& t = alawTable();
  for (size_t i = 0; i < in.size(); ++i) out[i] = t[in[i]];
}

}  // namespace ting::media
