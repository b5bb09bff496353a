#pragma once
// What an IVR Session asks call control to do. Call control carries out the
// actions in order and reports back through the Session's on...() methods,
// quoting the id of the Play, Record or HttpLookup it is reporting on.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ting::ivr {

// One piece of audio: TTS text in a voice, or an uploaded recording.
struct Prompt {
  std::string voice;  // TTS voice; empty means the server's default
  std::string text;   // text to speak, variables already filled in
  std::string file;   // when non-empty: the uploaded recording to play instead

  bool operator==(const Prompt&) const = default;
};

// Play the prompts in order, then report onPlayDone(id). With barge_in the
// caller may press keys meanwhile: the Session then emits StopPlay itself.
struct Play {
  std::uint64_t id = 0;
  std::vector<Prompt> prompts;
  bool barge_in = false;
};

// Stop playback `id` now. A later onPlayDone(id) is ignored.
struct StopPlay {
  std::uint64_t id = 0;
};

// Record the caller (a beep first is up to call control) for at most
// max_seconds, then report onRecordDone(id, ...).
struct Record {
  std::uint64_t id = 0;
  int max_seconds = 0;
};

// The caller pressed '#' while recording: finish recording `id` now and
// report onRecordDone(id, ...) as usual.
struct StopRecord {
  std::uint64_t id = 0;
};

// Fetch `url` and report onLookupDone(id, body or error). The Session gives
// up by itself after timeout_ms (see deadline()); a late answer is ignored.
struct HttpLookup {
  std::uint64_t id = 0;
  std::string method;
  std::string url;
  int timeout_ms = 0;
};

// Hand the call to an extension, an ACD queue or an outside number (exactly
// one is set). The
// call leaves the IVR; if the transfer fails, call onTransferFailed().
struct Transfer {
  std::string extension;
  std::string queue;
  std::string number;     // an outside number, through `trunk` (empty: the first)
  std::string trunk;
  bool present_caller = false;  // show the caller's number instead of the trunk's
};

// The caller left a voicemail: create a callback request for it.
struct CallbackRequest {
  std::string recording_ref;  // as given to onRecordDone()
  std::string caller;
  std::string node_id;  // the voicemail node
};

// End the call. Causes: "normal" (a hangup node, or a node with nowhere to
// go next), "retries_exhausted" (menu or collect failed without fallback),
// "transfer_failed" (no fallback), "ivr_loop" (too many steps without caller
// input), "error" (the flow names a missing node; validated flows never do).
struct Hangup {
  std::string cause;
};

// The call entered a node; for the event bus and live dashboards.
struct NodeEntered {
  std::string node_id;
  std::string type;
};

// Record silence on both channels from now on (paused) or the call again:
// while a caller keys in a card number, its tones stay out of the recording.
struct PauseRecording {
  bool paused = true;
};

using Action = std::variant<NodeEntered, Play, StopPlay, Record, StopRecord, HttpLookup, Transfer,
                            CallbackRequest, Hangup, PauseRecording>;
using Actions = std::vector<Action>;

}  // namespace ting::ivr
