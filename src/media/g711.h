#pragma once
// G.711 (ITU-T G.711) companding: PCMU (mu-law, payload type 0) and PCMA
// (A-law, payload type 8), 8 kHz, one byte per sample.

#include <cstdint>
#include <span>

namespace ting::media {

std::uint8_t linearToUlaw(std::int16_t sample);
std::int16_t ulawToLinear(std::uint8_t code);
std::uint8_t linearToAlaw(std::int16_t sample);
std::int16_t alawToLinear(std::uint8_t code);

// Whole frames. `out` must be at least as long as `in`.
void encodeUlaw(std::span<const std::int16_t> in, std::span<std::uint8_t> out);
void decodeUlaw(std::span<const std::uint8_t> in, std::span<std::int16_t> out);
void encodeAlaw(std::span<const std::int16_t> in, std::span<std::uint8_t> out);
void decodeAlaw(std::span<const std::uint8_t> in, std::span<std::int16_t> out);

}  // namespace ting::media
