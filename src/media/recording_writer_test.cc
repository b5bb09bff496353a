#include "media/recording_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>

#include "media/rtcp.h"

namespace ting::media {
namespace {

std::filesystem::path tempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("ting-rec-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::uint8_t> readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24);
}

TEST(RecordingWriter, WritesAStereoWavWithCorrectSizesAndReportsFrames) {
  auto dir = tempDir();
  std::promise<std::pair<bool, std::uint64_t>> done;
  {
    RecordingWriter writer;
    auto id = writer.open(dir / "a" / "b" / "call.wav", 2);
    writer.append(id, std::vector<std::int16_t>(320, 7));
    writer.append(id, std::vector<std::int16_t>(320, -7));
    writer.close(id, [&](Status s, std::uint64_t frames) { done.set_value({s.isOk(), frames}); });
  }
  auto [ok, frames] = done.get_future().get();
  EXPECT_TRUE(ok);
  EXPECT_EQ(frames, 320u);
  auto bytes = readAll(dir / "a" / "b" / "call.wav");
  ASSERT_EQ(bytes.size(), 44u + 1280u);
  EXPECT_EQ(le32(&bytes[40]), 1280u);
  EXPECT_EQ(le32(&bytes[4]), 36u + 1280u);
  EXPECT_EQ(bytes[22], 2);  // channels
}

TEST(RecordingWriter, RepairFixesAHeaderLeftByACrash) {
  auto dir = tempDir();
  auto path = dir / "cut.wav";
  {
    RecordingWriter writer;
    auto id = writer.open(path, 2);
    writer.append(id, std::vector<std::int16_t>(1600, 100));
    writer.flush();  // on disk, header still says 0: as if the process died now
    auto bytes = readAll(path);
    ASSERT_EQ(le32(&bytes[40]), 0u);
    auto repaired = repairWav(path);
    ASSERT_TRUE(repaired.isOk());
    EXPECT_TRUE(*repaired);
    bytes = readAll(path);
    EXPECT_EQ(le32(&bytes[40]), 3200u);
    writer.close(id, nullptr);
  }
  // A complete file is left alone.
  auto again = repairWav(path);
  ASSERT_TRUE(again.isOk());
  EXPECT_FALSE(*again);
  EXPECT_EQ(repairRecordings(dir), 0u);
}

TEST(RecordingWriter, RepairRefusesFilesItDidNotWrite) {
  auto dir = tempDir();
  std::ofstream(dir / "junk.wav") << "this is not a wav file at all, but it is long enough";
  EXPECT_FALSE(repairWav(dir / "junk.wav").isOk());
}

TEST(Rtcp, SenderReportWithBlockAndSdesRoundTrips) {
  std::vector<std::uint8_t> out;
  RtcpSenderInfo sender{0x0102030405060708ull, 1234, 50, 8000};
  RtcpReportBlock block;
  block.ssrc = 99;
  block.fraction_lost = 12;
  block.cumulative_lost = -3;
  block.highest_sequence = 70000;
  block.jitter = 17;
  writeRtcpReport(42, sender, block, "ting@host", out);
  auto parsed = parseRtcp(out);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  const auto& sr = (*parsed)[0];
  EXPECT_EQ(sr.type, 200);
  EXPECT_EQ(sr.ssrc, 42u);
  ASSERT_TRUE(sr.sender.has_value());
  EXPECT_EQ(sr.sender->ntp_timestamp, 0x0102030405060708ull);
  EXPECT_EQ(sr.sender->packet_count, 50u);
  ASSERT_EQ(sr.reports.size(), 1u);
  EXPECT_EQ(sr.reports[0].cumulative_lost, -3);
  EXPECT_EQ(sr.reports[0].highest_sequence, 70000u);
  EXPECT_EQ((*parsed)[1].type, 202);
  EXPECT_EQ(out.size() % 4, 0u);
}

TEST(Rtcp, RejectsLengthsAndCountsThatOverrun) {
  std::vector<std::uint8_t> out;
  writeRtcpReport(1, std::nullopt, std::nullopt, "x", out);
  ASSERT_TRUE(parseRtcp(out).isOk());
  auto longer = out;
  longer[3] = 50;  // length beyond the datagram
  EXPECT_FALSE(parseRtcp(longer).isOk());
  auto counted = out;
  counted[0] = 0x81;  // claims one report block in an 8-byte RR
  EXPECT_FALSE(parseRtcp(counted).isOk());
  auto version = out;
  version[0] = 0x40;
  EXPECT_FALSE(parseRtcp(version).isOk());
  EXPECT_FALSE(parseRtcp(std::span<const std::uint8_t>(out.data(), 3)).isOk());
}

}  // namespace
}  // namespace ting::media
