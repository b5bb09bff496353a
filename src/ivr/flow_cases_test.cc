// Data-driven flow tests: every tests/ivr/*.json holds a flow, the problems
// validate() must find in it, and calls to walk through it. Format:
//
//   {"flow": {...},
//    "errors": ["node|path", ...],          // expected problems; [] = valid
//    "walks": [{"name": "...", "caller": "138...", "at": "2026-10-12T09:30:00+08:00",
//               "steps": [["start", "enter(welcome) play#1(...)"],
//                         ["digits 12#", "..."], ["play_done", ""], ["timeout", "..."],
//                         ["advance 1500", ""], ["record_done rec-1", "..."],
//                         ["record_failed", "..."], ["lookup {...}", "..."],
//                         ["lookup_error", "..."], ["transfer_failed", "..."],
//                         ["path", "welcome:ok menu:ok[1] ..."]]}]}
//
// Actions are written as in session_test_util.h.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "ivr/session_test_util.h"
#include "ivr/validate.h"

namespace ting::ivr {
namespace {

namespace json = boost::json;
using ivr_test::Call;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Feeds one scripted event; returns the actions as text.
std::string runStep(Call& call, const std::string& event) {
  auto space = event.find(' ');
  std::string verb = event.substr(0, space);
  std::string arg = space == std::string::npos ? "" : event.substr(space + 1);
  if (verb == "start") return call.start();
  if (verb == "digits") return call.digits(arg);
  if (verb == "play_done") return call.playDone();
  if (verb == "timeout") return call.timeout();
  if (verb == "advance") {
    call.advance(std::stoll(arg));
    return "";
  }
  if (verb == "record_done") return call.recordDone(true, arg);
  if (verb == "record_failed") return call.recordDone(false, "");
  if (verb == "lookup") return call.lookupDone(arg);
  if (verb == "lookup_error") return call.lookupDone(unavailable("lookup failed"));
  if (verb == "transfer_failed") return call.transferFailed();
  if (verb == "path") return call.outcomes();
  ADD_FAILURE() << "unknown step '" << event << "'";
  return "";
}

void runCase(const std::filesystem::path& file) {
  SCOPED_TRACE(file.filename().string());
  boost::system::error_code ec;
  json::value doc = json::parse(readFile(file), ec);
  ASSERT_FALSE(ec) << ec.message();
  const json::object& c = doc.as_object();
  std::vector<FlowError> errors;
  auto flow = compileFlow(json::serialize(c.at("flow")), {}, &errors);
  std::vector<std::string> found, want;
  for (const auto& e : errors) found.push_back(e.node + "|" + e.path);
  if (const auto* expected = c.if_contains("errors")) {
    for (const auto& e : expected->as_array()) want.emplace_back(e.as_string());
  }
  ASSERT_EQ(found, want) << (flow.isOk() ? "" : flow.status().message());
  if (!c.contains("walks")) return;
  ASSERT_TRUE(flow.isOk());
  for (const auto& w : c.at("walks").as_array()) {
    const json::object& walk = w.as_object();
    SCOPED_TRACE(std::string(walk.at("name").as_string()));
    std::string caller = "13800138000";
    if (const auto* v = walk.if_contains("caller")) caller = std::string(v->as_string());
    Call call(*flow, caller);
    if (const auto* at = walk.if_contains("at")) {
      ASSERT_TRUE(parseTimestamp(std::string(at->as_string()), call.now));
    }
    for (const auto& s : walk.at("steps").as_array()) {
      const json::array& step = s.as_array();
      std::string event(step.at(0).as_string());
      EXPECT_EQ(runStep(call, event), std::string(step.at(1).as_string())) << "at " << event;
    }
  }
}

TEST(FlowCases, EveryCaseInTestsIvr) {
  std::filesystem::path dir = std::filesystem::path(TING_SOURCE_DIR) / "tests" / "ivr";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 4u);
  for (const auto& f : files) runCase(f);
}

TEST(FlowCases, TheExampleInDocsIvrMdIsValid) {
  std::string doc = readFile(std::filesystem::path(TING_SOURCE_DIR) / "docs" / "ivr.md");
  auto section = doc.find("## A complete example");
  ASSERT_NE(section, std::string::npos);
  auto begin = doc.find("```json\n", section);
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  auto end = doc.find("```", begin);
  auto flow = compileFlow(std::string_view(doc).substr(begin, end - begin));
  ASSERT_TRUE(flow.isOk()) << flow.status().message();
  EXPECT_NE(doc.find("ok: " + std::to_string((*flow)->nodes.size()) + " nodes"), std::string::npos)
      << "the ting ivr validate example prints the node count";
}

}  // namespace
}  // namespace ting::ivr
