#pragma once
// Prompt audio files: what admins upload (any rate, any channel count, the
// usual encodings) turned into what the media path plays — 8 kHz mono signed
// 16-bit PCM — and written back as normalized WAV.

#include <cstdint>
#include <filesystem>
#include <span>

#include "common/status.h"
#include "tts/pcm.h"

namespace ting::tts {

struct AudioLimits {
  int max_channels = 8;
  int max_seconds = 600;
};

// Containers accepted (libsndfile): WAV, WAVEX, RF64, W64, AIFF, AU, CAF,
// FLAC, Ogg (Vorbis, Opus) and MP3; inside them any encoding libsndfile
// decodes (PCM 8/16/24/32, float, A-law, µ-law, ADPCM...). Other formats
// libsndfile knows are refused to keep the parsing surface small.
//
// Decodes `bytes`, downmixes to mono (mean of the channels) and resamples to
// 8 kHz. kInvalidArgument, with a message saying why, for bytes that are not
// audio of an accepted format, no frames, more than `max_channels` channels,
// a sample rate outside 1 kHz–384 kHz, or longer than `max_seconds`.
// Thread-safe.
Result<Pcm> decodeAudio(std::span<const std::uint8_t> bytes, const AudioLimits& limits = {});

// The same for a file. kNotFound when it does not exist.
Result<Pcm> readAudioFile(const std::filesystem::path& path, const AudioLimits& limits = {});

// Writes `pcm` as a 16-bit mono 8 kHz WAV at `path`, atomically: a temporary
// file in the same directory (which must exist) is written, fsynced and
// renamed over `path`, and the directory is fsynced. Readers see the old
// file or the new one, never a part. kInternal on I/O failure.
Status writeWav8k(const std::filesystem::path& path, std::span<const std::int16_t> pcm);

}  // namespace ting::tts
