#pragma once
// The IVR interpreter: one Session per call walks the caller through a flow.
//
// A Session is pure logic. It has no threads, sockets or timers: call
// control feeds it events (digits, playback and recording finished, lookup
// answers, the time) and carries out the Actions it returns. It is owned and
// used by the call-control thread only. Time comes in as `now`; when
// deadline() is set, call control calls onTimer() once now >= deadline().
//
// Behaviour in short (docs/ivr.md has the details):
//  - play nodes ignore keys; menu and collect prompts may be interrupted by
//    a key (barge-in), which the Session answers with StopPlay and then
//    handles the key; their input timeout starts when the prompt has ended;
//  - an invalid key or a timeout counts as a failed try: the invalid or
//    timeout prompt plays, then the node's prompt again; after `retries`
//    failed tries the call goes to the fallback (or is hung up);
//  - at most kMaxStepsWithoutInput nodes may be entered without the caller
//    pressing a key or leaving a message, then the call is hung up
//    ("ivr_loop").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "ivr/action.h"
#include "ivr/flow.h"
#include "ivr/interpolate.h"

namespace ting::ivr {

inline constexpr int kMaxStepsWithoutInput = 100;
inline constexpr std::size_t kMaxPathSteps = 500;
inline constexpr std::size_t kMaxVariableBytes = 1024;
inline constexpr std::size_t kMaxLookupBodyBytes = 1024 * std::size_t{1024};

struct CallInfo {
  std::string call_id;
  std::string caller;  // the calling number, as received
  std::string did;     // the number dialled
};

// One node the call went through.
struct PathStep {
  std::string node_id;
  std::string type;
  UnixMillis entered_at = 0;
  std::string input;    // keys pressed at this node (each 'x' when the node masks them)
  std::string outcome;  // how the node ended: ok, invalid, timeout, error, rule:N, else,
                        // transfer, transfer_failed, hangup, abandoned; "" while in it
};

class Session {
 public:
  // `flow` must have passed validate(); it is shared with the other calls on
  // the same flow version.
  Session(std::shared_ptr<const Flow> flow, CallInfo call);

  // Enters the start node. Call once.
  Actions start(UnixMillis now);
  // A DTMF key ('0'-'9', '*', '#', 'A'-'D'), at any time.
  Actions onDigit(char digit, UnixMillis now);
  // Playback `id` finished, was stopped, or failed.
  Actions onPlayDone(std::uint64_t id, UnixMillis now);
  // Recording `id` ended; ok with a reference to the stored recording, or not
  // ok (nothing usable was recorded).
  Actions onRecordDone(std::uint64_t id, bool ok, std::string recording_ref, UnixMillis now);
  // Lookup `id` answered: the response body, or why there is none.
  Actions onLookupDone(std::uint64_t id, const Result<std::string>& body, UnixMillis now);
  // The Transfer last returned did not reach anyone.
  Actions onTransferFailed(UnixMillis now);
  // Call when now >= deadline(); earlier calls do nothing.
  Actions onTimer(UnixMillis now);
  // The caller hung up: ends the session, marking the current node abandoned.
  void onCallerHangup(UnixMillis now);

  // When onTimer() is due, if anything waits on time.
  std::optional<UnixMillis> deadline() const { return deadline_; }
  // True after Hangup or Transfer: nothing more happens unless
  // onTransferFailed() is called.
  bool finished() const { return phase_ == Phase::kTransferred || phase_ == Phase::kFinished; }
  // The id of the node the call is in ("" before start()).
  std::string_view currentNode() const;
  // The nodes visited, at most kMaxPathSteps (later steps are not recorded).
  const std::vector<PathStep>& path() const { return path_; }
  // The built-in and flow variables.
  const Variables& variables() const { return variables_; }
  // The path as a JSON array for the call record, times in RFC 3339:
  // [{"node": "welcome", "type": "play", "at": "2026-10-12T01:00:00.000Z",
  //   "input": "", "outcome": "ok"}].
  std::string pathJson() const;

 private:
  enum class Phase {
    kIdle,         // before start()
    kPlaying,      // waiting for onPlayDone(play_id_)
    kWaitingKeys,  // menu or collect waiting for keys
    kRecording,    // waiting for onRecordDone(record_id_)
    kLookingUp,    // waiting for onLookupDone(lookup_id_)
    kTransferred,  // the call left the IVR
    kFinished,     // hung up
  };
  enum class PlayKind { kPrompt, kRetryPrompt };

  void enter(std::string id, UnixMillis now, Actions& out);
  // Starts the node; returns the id to continue at right away ("" to hang up
  // normally), or nullopt when the node waits for something.
  std::optional<std::string> begin(const Node& node, UnixMillis now, Actions& out);
  void leave(std::string_view outcome, const std::string& next, UnixMillis now, Actions& out);
  void hangup(std::string cause, Actions& out);

  void play(const PromptSpec& spec, bool barge_in, PlayKind kind, Actions& out);
  void playNodePrompt(Actions& out);
  void waitForKeys(int timeout_ms, UnixMillis now);
  void menuKey(const MenuNode& menu, char digit, UnixMillis now, Actions& out);
  void collectKey(const CollectNode& collect, char digit, UnixMillis now, Actions& out);
  void finishCollect(const CollectNode& collect, UnixMillis now, Actions& out);
  void failedTry(bool timeout, UnixMillis now, Actions& out);
  void startRecording(const VoicemailNode& voicemail, Actions& out);
  void lookupFailed(std::string_view outcome, UnixMillis now, Actions& out);
  bool evaluate(const Rule& rule, UnixMillis now) const;
  PathStep* step();
  void setVariable(const std::string& name, std::string value);

  std::shared_ptr<const Flow> flow_;
  CallInfo call_;
  Variables variables_;
  std::vector<PathStep> path_;
  bool step_recorded_ = false;  // whether path_.back() is the current node
  bool recording_paused_ = false;  // the last PauseRecording said paused

  Phase phase_ = Phase::kIdle;
  const Node* node_ = nullptr;  // the current node, inside *flow_
  std::optional<UnixMillis> deadline_;
  std::uint64_t next_id_ = 1;
  std::uint64_t play_id_ = 0;
  PlayKind play_kind_ = PlayKind::kPrompt;
  bool barge_in_ = false;
  std::uint64_t record_id_ = 0;
  bool record_stopping_ = false;
  std::uint64_t lookup_id_ = 0;
  std::string digits_;  // collect: keys of the current try
  int failures_ = 0;    // menu, collect: failed tries at this node
  int steps_without_input_ = 0;
};

}  // namespace ting::ivr
