#pragma once
// Helpers for the Session tests: a compact text form of actions, and a call
// driven through a flow with explicit times.

#include <gtest/gtest.h>

#include <string>

#include "ivr/session.h"
#include "ivr/validate.h"

namespace ting::ivr::ivr_test {

inline std::string describe(const Action& action) {
  struct Describer {
    std::string operator()(const NodeEntered& a) { return "enter(" + a.node_id + ")"; }
    std::string operator()(const Play& a) {
      std::string s = "play#" + std::to_string(a.id) + (a.barge_in ? "~(" : "(");
      for (std::size_t i = 0; i < a.prompts.size(); ++i) {
        if (i) s += "+";
        const Prompt& p = a.prompts[i];
        s += p.file.empty() ? p.text : "file:" + p.file;
      }
      return s + ")";
    }
    std::string operator()(const StopPlay& a) { return "stop#" + std::to_string(a.id); }
    std::string operator()(const Record& a) {
      return "record#" + std::to_string(a.id) + "(" + std::to_string(a.max_seconds) + "s)";
    }
    std::string operator()(const StopRecord& a) { return "stoprecord#" + std::to_string(a.id); }
    std::string operator()(const HttpLookup& a) {
      return "http#" + std::to_string(a.id) + "(" + a.method + " " + a.url + " " +
             std::to_string(a.timeout_ms) + "ms)";
    }
    std::string operator()(const Transfer& a) {
      if (!a.number.empty()) {
        return "transfer(number=" + a.number + (a.trunk.empty() ? "" : " trunk=" + a.trunk) +
               (a.present_caller ? " caller" : "") + ")";
      }
      return a.queue.empty() ? "transfer(ext=" + a.extension + ")"
                             : "transfer(queue=" + a.queue + ")";
    }
    std::string operator()(const CallbackRequest& a) {
      return "callback(" + a.recording_ref + "," + a.caller + "," + a.node_id + ")";
    }
    std::string operator()(const Hangup& a) { return "hangup(" + a.cause + ")"; }
    std::string operator()(const PauseRecording& a) {
      return a.paused ? "pause_recording" : "resume_recording";
    }
  };
  return std::visit(Describer{}, action);
}

inline std::string describe(const Actions& actions) {
  std::string s;
  for (const auto& a : actions) s += (s.empty() ? "" : " ") + describe(a);
  return s;
}

inline std::shared_ptr<const Flow> compiled(std::string_view json) {
  auto flow = compileFlow(json);
  EXPECT_TRUE(flow.isOk()) << flow.status().message();
  return flow.isOk() ? *flow : std::make_shared<const Flow>();
}

// One call through a flow. Each method feeds one event at the current time
// and returns the actions in text form.
class Call {
 public:
  static constexpr UnixMillis kStart = 1'790'000'000'000;

  explicit Call(std::shared_ptr<const Flow> flow, std::string caller = "13800138000")
      : session(std::move(flow), CallInfo{"call-1", std::move(caller), "4000"}) {}

  std::string start() { return record(session.start(now)); }
  std::string digits(std::string_view keys) {
    std::string out;
    for (char k : keys) {
      std::string d = record(session.onDigit(k, now));
      if (!d.empty()) out += (out.empty() ? "" : " ") + d;
    }
    return out;
  }
  // Ends the most recent playback.
  std::string playDone() { return record(session.onPlayDone(last_play, now)); }
  std::string recordDone(bool ok, std::string ref) {
    return record(session.onRecordDone(last_record, ok, std::move(ref), now));
  }
  std::string lookupDone(const Result<std::string>& body) {
    return record(session.onLookupDone(last_lookup, body, now));
  }
  std::string transferFailed() { return record(session.onTransferFailed(now)); }
  // Moves time to the deadline and fires the timer.
  std::string timeout() {
    EXPECT_TRUE(session.deadline().has_value());
    if (!session.deadline()) return "(no deadline)";
    now = *session.deadline();
    return record(session.onTimer(now));
  }
  void advance(UnixMillis ms) { now += ms; }

  std::string outcomes() const {
    std::string s;
    for (const auto& step : session.path()) {
      s += (s.empty() ? "" : " ") + step.node_id + ":" + step.outcome;
      if (!step.input.empty()) s += "[" + step.input + "]";
    }
    return s;
  }

  Session session;
  UnixMillis now = kStart;
  std::uint64_t last_play = 0, last_record = 0, last_lookup = 0;

 private:
  std::string record(const Actions& actions) {
    for (const auto& a : actions) {
      if (const auto* p = std::get_if<Play>(&a)) last_play = p->id;
      if (const auto* r = std::get_if<Record>(&a)) last_record = r->id;
      if (const auto* h = std::get_if<HttpLookup>(&a)) last_lookup = h->id;
    }
    return describe(actions);
  }
};

}  // namespace ting::ivr::ivr_test
