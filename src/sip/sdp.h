#pragma once
// SDP offer/answer for audio (RFC 4566 syntax, RFC 3264 negotiation). Ting
// writes its own SDP and hands it to the SIP stack verbatim: Ting owns media.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ting::sip {

enum class MediaDirection { kSendRecv, kSendOnly, kRecvOnly, kInactive };

std::string_view directionName(MediaDirection d);

struct RtpMap {
  int payload_type = 0;
  std::string encoding;  // upper-cased: PCMU, PCMA, TELEPHONE-EVENT
  int clock_rate = 8000;
};

// The first audio stream of a session description.
struct AudioOffer {
  std::string connection_address;  // c= of the media, else of the session
  std::uint16_t port = 0;          // 0: the stream is rejected/disabled
  std::vector<int> payload_types;  // in the order of preference of the offerer
  std::vector<RtpMap> rtpmaps;
  MediaDirection direction = MediaDirection::kSendRecv;
  int ptime_ms = 0;  // 0: not given

  // True for hold as RFC 3264 §8.4 and older phones (c=0.0.0.0) express it.
  bool isHold() const;
};

// Parses an SDP body. kInvalidArgument naming the line for malformed input;
// kInvalidValue when there is no audio stream (the caller answers 488).
Result<AudioOffer> parseSdp(std::string_view sdp);

enum class Codec { kPcmu, kPcma };

struct AudioAnswer {
  Codec codec = Codec::kPcmu;
  int codec_payload_type = 0;
  std::optional<int> telephone_event_payload_type;
  MediaDirection direction = MediaDirection::kSendRecv;  // ours
  std::string remote_address;
  std::uint16_t remote_port = 0;
};

// Chooses the offerer's most preferred of PCMU and PCMA, keeps
// telephone-event when offered at 8000 Hz, and mirrors the direction
// (their sendonly is our recvonly). kInvalidValue when no codec is common: 488.
Result<AudioAnswer> negotiate(const AudioOffer& offer);

struct LocalMedia {
  std::string address;  // what we advertise (NAT: the public address)
  std::uint16_t port = 0;
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
  MediaDirection direction = MediaDirection::kSendRecv;  // of an offer
};

// The SDP Ting sends: as an answer for `answer`, or as an offer when
// `answer` is null (PCMU, PCMA and telephone-event 101, sendrecv).
std::string writeSdp(const LocalMedia& local, const AudioAnswer* answer);

}  // namespace ting::sip
