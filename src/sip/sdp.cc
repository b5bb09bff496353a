#include "sip/sdp.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace ting::sip {

std::string_view directionName(MediaDirection d) {
  switch (d) {
    case MediaDirection::kSendRecv:
      return "sendrecv";
    case MediaDirection::kSendOnly:
      return "sendonly";
    case MediaDirection::kRecvOnly:
      return "recvonly";
    case MediaDirection::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

bool AudioOffer::isHold() const {
  return direction == MediaDirection::kSendOnly || direction == MediaDirection::kInactive ||
         connection_address == "0.0.0.0";
}

namespace {

std::vector<std::string_view> splitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool toInt(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status lineError(int line, const std::string& what) {
  return invalidArgument(fmt::format("SDP line {}: {}", line, what), "sdp");
}

// "IN IP4 192.0.2.1" → address
bool connectionAddress(std::string_view value, std::string& address) {
  auto parts = splitSpaces(value);
  if (parts.size() < 3 || parts[0] != "IN" || (parts[1] != "IP4" && parts[1] != "IP6")) {
    return false;
  }
  std::string_view addr = parts[2];
  if (auto slash = addr.find('/'); slash != std::string_view::npos) addr = addr.substr(0, slash);
  address = std::string(addr);
  return !address.empty();
}

}  // namespace

Result<AudioOffer> parseSdp(std::string_view sdp) {
  AudioOffer audio;
  std::string session_address;
  MediaDirection session_direction = MediaDirection::kSendRecv;
  bool in_audio = false, seen_audio = false, done_audio = false, seen_version = false;
  bool audio_direction_set = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    if (end == std::string_view::npos) end = sdp.size();
    std::string_view line = sdp.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=') return lineError(line_no, "not of the form x=value");
    char type = line[0];
    std::string_view value = line.substr(2);
    if (type == 'v') {
      if (value != "0") return lineError(line_no, "only SDP version 0 is known");
      seen_version = true;
    } else if (type == 'm') {
      if (in_audio) done_audio = true;
      in_audio = false;
      auto parts = splitSpaces(value);
      if (parts.size() < 3) return lineError(line_no, "m= needs media, port and protocol");
      if (parts[0] == "audio" && !seen_audio) {
        int port = 0;
        std::string_view port_text = parts[1];
        if (auto slash = port_text.find('/'); slash != std::string_view::npos) {
          port_text = port_text.substr(0, slash);
        }
        if (!toInt(port_text, port) || port < 0 || port > 65535) {
          return lineError(line_no, "bad port");
        }
        if (parts[2] != "RTP/AVP" && parts[2] != "RTP/AVPF") {
          return lineError(line_no, "audio must be RTP/AVP (no SRTP yet)");
        }
        audio.port = static_cast<std::uint16_t>(port);
        for (size_t i = 3; i < parts.size(); ++i) {
          int pt = 0;
          if (!toInt(parts[i], pt) || pt < 0 || pt > 127) {
            return lineError(line_no, "bad payload type");
          }
          audio.payload_types.push_back(pt);
        }
        in_audio = seen_audio = true;
      }
    } else if (type == 'c') {
      std::string address;
      if (!connectionAddress(value, address)) return lineError(line_no, "bad c= line");
      if (in_audio) {
        audio.connection_address = address;
      } else if (!seen_audio) {
        session_address = address;
      }
    } else if (type == 'a' && (in_audio || !seen_audio) && !done_audio) {
      std::optional<MediaDirection> dir;
      if (value == "sendrecv") dir = MediaDirection::kSendRecv;
      if (value == "sendonly") dir = MediaDirection::kSendOnly;
      if (value == "recvonly") dir = MediaDirection::kRecvOnly;
      if (value == "inactive") dir = MediaDirection::kInactive;
      if (dir) {
        if (in_audio) {
          audio.direction = *dir;
          audio_direction_set = true;
        } else {
          session_direction = *dir;
        }
      } else if (in_audio && value.rfind("rtpmap:", 0) == 0) {
        auto rest = value.substr(7);
        auto space = rest.find(' ');
        RtpMap map;
        if (space == std::string_view::npos || !toInt(rest.substr(0, space), map.payload_type)) {
          return lineError(line_no, "bad rtpmap");
        }
        auto enc = rest.substr(space + 1);
        auto slash = enc.find('/');
        if (slash == std::string_view::npos) return lineError(line_no, "rtpmap needs a clock rate");
        map.encoding = upper(enc.substr(0, slash));
        auto rate = enc.substr(slash + 1);
        if (auto s2 = rate.find('/'); s2 != std::string_view::npos) rate = rate.substr(0, s2);
        if (!toInt(rate, map.clock_rate) || map.clock_rate <= 0) {
          return lineError(line_no, "bad clock rate");
        }
        audio.rtpmaps.push_back(map);
      } else if (in_audio && value.rfind("ptime:", 0) == 0) {
        if (!toInt(value.substr(6), audio.ptime_ms) || audio.ptime_ms <= 0 ||
            audio.ptime_ms > 1000) {
          return lineError(line_no, "bad ptime");
        }
      }
    }
  }
  if (!seen_version) return invalidArgument("SDP has no v= line", "sdp");
  if (!seen_audio) return invalidValue("SDP offers no audio stream", "sdp");
  if (audio.connection_address.empty()) audio.connection_address = session_address;
  if (audio.connection_address.empty()) {
    return invalidArgument("SDP has no connection address for audio", "sdp");
  }
  if (!audio_direction_set) audio.direction = session_direction;
  return audio;
}

namespace {

// RFC 3551 static payload types; dynamic ones must come with an rtpmap.
std::optional<RtpMap> mapFor(const AudioOffer& offer, int pt) {
  for (const auto& m : offer.rtpmaps) {
    if (m.payload_type == pt) return m;
  }
  if (pt == 0) return RtpMap{0, "PCMU", 8000};
  if (pt == 8) return RtpMap{8, "PCMA", 8000};
  return std::nullopt;
}

}  // namespace

Result<AudioAnswer> negotiate(const AudioOffer& offer) {
  if (offer.port == 0) return invalidValue("the audio stream is disabled (port 0)", "sdp");
  AudioAnswer answer;
  bool have_codec = false;
  for (int pt : offer.payload_types) {
    auto m = mapFor(offer, pt);
    if (!m || m->clock_rate != 8000) continue;
    if (!have_codec && (m->encoding == "PCMU" || m->encoding == "PCMA")) {
      answer.codec = m->encoding == "PCMU" ? Codec::kPcmu : Codec::kPcma;
      answer.codec_payload_type = pt;
      have_codec = true;
    } else if (m->encoding == "TELEPHONE-EVENT" && !answer.telephone_event_payload_type) {
      answer.telephone_event_payload_type = pt;
    }
  }
  if (!have_codec) return invalidValue("no common codec: Ting speaks PCMU and PCMA", "sdp");
  switch (offer.direction) {
    case MediaDirection::kSendRecv:
      answer.direction = MediaDirection::kSendRecv;
      break;
    case MediaDirection::kSendOnly:
      answer.direction = MediaDirection::kRecvOnly;
      break;
    case MediaDirection::kRecvOnly:
      answer.direction = MediaDirection::kSendOnly;
      break;
    case MediaDirection::kInactive:
      answer.direction = MediaDirection::kInactive;
      break;
  }
  answer.remote_address = offer.connection_address;
  answer.remote_port = offer.port;
  return answer;
}

std::string writeSdp(const LocalMedia& local, const AudioAnswer* answer) {
  const bool v6 = local.address.find(':') != std::string::npos;
  std::string out = fmt::format("v=0\r\no=ting {} {} IN {} {}\r\ns=ting\r\nc=IN {} {}\r\nt=0 0\r\n",
                                local.session_id, local.session_version, v6 ? "IP6" : "IP4",
                                local.address, v6 ? "IP6" : "IP4", local.address);
  if (!answer) {
    out += fmt::format(
        "m=audio {} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na={}\r\n",
        local.port, directionName(local.direction));
    return out;
  }
  const int pt = answer->codec_payload_type;
  const char* name = answer->codec == Codec::kPcmu ? "PCMU" : "PCMA";
  out += fmt::format("m=audio {} RTP/AVP {}", local.port, pt);
  if (answer->telephone_event_payload_type) {
    out += fmt::format(" {}", *answer->telephone_event_payload_type);
  }
  out += fmt::format("\r\na=rtpmap:{} {}/8000\r\n", pt, name);
  if (answer->telephone_event_payload_type) {
    out += fmt::format("a=rtpmap:{0} telephone-event/8000\r\na=fmtp:{0} 0-16\r\n",
                       *answer->telephone_event_payload_type);
  }
  out += fmt::format("a=ptime:20\r\na={}\r\n", directionName(answer->direction));
  return out;
}

}  // namespace ting::sip
