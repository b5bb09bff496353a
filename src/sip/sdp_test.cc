#include "sip/sdp.h"

#include <gtest/gtest.h>

namespace ting::sip {

// What baresip sends for an outgoing call with PCMU and telephone-event.
constexpr const char* kBaresipOffer =
    "v=0\r\n"
    "o=- 1234 5678 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

TEST(Sdp, ParsesAnAudioOffer) {
  auto offer = parseSdp(kBaresipOffer);
  ASSERT_TRUE(offer.isOk()) << offer.status().message();
  EXPECT_EQ(offer->connection_address, "127.0.0.1");
  EXPECT_EQ(offer->port, 10000);
  EXPECT_EQ(offer->payload_types, (std::vector<int>{0, 101}));
  EXPECT_EQ(offer->ptime_ms, 20);
  EXPECT_FALSE(offer->isHold());
}

TEST(Sdp, NegotiatesTheOfferersFavouriteCodecAndDtmf) {
  auto offer = parseSdp(
      "v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 4000 RTP/AVP 18 8 0 96\r\n"
      "a=rtpmap:96 telephone-event/8000\r\n");
  ASSERT_TRUE(offer.isOk()) << offer.status().message();
  auto answer = negotiate(*offer);
  ASSERT_TRUE(answer.isOk());
  EXPECT_EQ(answer->codec, Codec::kPcma) << "G.729 (18) is skipped, PCMA comes before PCMU";
  EXPECT_EQ(answer->codec_payload_type, 8);
  EXPECT_EQ(answer->telephone_event_payload_type, 96);
  EXPECT_EQ(answer->remote_address, "10.0.0.9");
  EXPECT_EQ(answer->remote_port, 4000);
  std::string sdp = writeSdp({"192.0.2.7", 20002, 1, 1}, &*answer);
  EXPECT_NE(sdp.find("m=audio 20002 RTP/AVP 8 96\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("a=rtpmap:96 telephone-event/8000\r\n"), std::string::npos);
  EXPECT_NE(sdp.find("c=IN IP4 192.0.2.7\r\n"), std::string::npos);
  auto reparsed = parseSdp(sdp);
  ASSERT_TRUE(reparsed.isOk()) << "Ting's own SDP parses";
  EXPECT_EQ(reparsed->port, 20002);
}

TEST(Sdp, MirrorsHoldDirections) {
  for (auto [dir, ours] : {std::pair{"sendonly", MediaDirection::kRecvOnly},
                           {"recvonly", MediaDirection::kSendOnly},
                           {"inactive", MediaDirection::kInactive}}) {
    auto offer = parseSdp(std::string("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\na=") +
                          dir + "\r\n");
    ASSERT_TRUE(offer.isOk());
    EXPECT_EQ(negotiate(*offer)->direction, ours) << dir;
  }
  auto old_style = parseSdp("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 5 RTP/AVP 0\r\n");
  ASSERT_TRUE(old_style.isOk());
  EXPECT_TRUE(old_style->isHold());
  auto session_level = parseSdp("v=0\r\nc=IN IP4 1.1.1.1\r\na=sendonly\r\nm=audio 5 RTP/AVP 0\r\n");
  EXPECT_EQ(session_level->direction, MediaDirection::kSendOnly);
}

TEST(Sdp, NoCommonCodecOrNoAudioIs488) {
  auto g729 = parseSdp("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 18\r\n");
  ASSERT_TRUE(g729.isOk());
  EXPECT_EQ(negotiate(*g729).status().code(), StatusCode::kInvalidValue);
  auto wideband =
      parseSdp("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 97\r\na=rtpmap:97 PCMU/16000\r\n");
  EXPECT_EQ(negotiate(*wideband).status().code(), StatusCode::kInvalidValue);
  EXPECT_EQ(parseSdp("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5 RTP/AVP 96\r\n").status().code(),
            StatusCode::kInvalidValue);
  auto disabled = parseSdp("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n");
  EXPECT_EQ(negotiate(*disabled).status().code(), StatusCode::kInvalidValue);
}

TEST(Sdp, MalformedBodiesNameTheLine) {
  for (const char* bad :
       {"", "hello", "v=1\r\n", "v=0\r\nm=audio\r\n",
        "v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio x RTP/AVP 0\r\n",
        "v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 5 RTP/SAVP 0\r\n",
        "v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 5 RTP/AVP 300\r\n",
        "v=0\r\nc=XX\r\nm=audio 5 RTP/AVP 0\r\n", "v=0\r\nm=audio 5 RTP/AVP 0\r\n"}) {
    auto r = parseSdp(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Sdp, AnOfferCarriesTheAskedDirection) {
  // Holding a phone: Ting offers sendonly, and sendrecv to take it back.
  LocalMedia held{"192.0.2.7", 20004, 9, 2, MediaDirection::kSendOnly};
  auto offer = parseSdp(writeSdp(held, nullptr));
  ASSERT_TRUE(offer.isOk()) << offer.status().message();
  EXPECT_TRUE(offer->isHold());
  auto live = parseSdp(writeSdp({"192.0.2.7", 20004, 9, 3}, nullptr));
  ASSERT_TRUE(live.isOk());
  EXPECT_FALSE(live->isHold());
  EXPECT_NE(writeSdp(held, nullptr).find("o=ting 9 2 IN IP4"), std::string::npos);
}

}  // namespace ting::sip
