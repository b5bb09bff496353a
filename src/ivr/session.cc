#include "ivr/session.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <exception>

namespace ting::ivr {

namespace {

namespace json = boost::json;

bool isDtmf(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void clip(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

// The text a JSON value gives a variable: strings as they are, other
// scalars as written in JSON, null as "", objects and arrays as JSON.
std::string jsonText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

}  // namespace

Session::Session(std::shared_ptr<const Flow> flow, CallInfo call)
    : flow_(std::move(flow)), call_(std::move(call)) {
  setVariable("caller", call_.caller);
  setVariable("did", call_.did);
  setVariable("call_id", call_.call_id);
}

std::string_view Session::currentNode() const {
  return node_ ? node_->id : std::string_view();
}

Actions Session::start(UnixMillis now) {
  Actions out;
  if (phase_ != Phase::kIdle) return out;
  enter(flow_->start, now, out);
  return out;
}

void Session::enter(std::string id, UnixMillis now, Actions& out) {
  while (true) {
    if (id.empty()) {
      hangup("normal", out);
      return;
    }
    if (++steps_without_input_ > kMaxStepsWithoutInput) {
      hangup("ivr_loop", out);
      return;
    }
    const Node* node = flow_->find(id);
    if (!node) {
      hangup("error", out);
      return;
    }
    node_ = node;
    deadline_.reset();
    const bool pause = node->type() == NodeType::kCollect &&
                       std::get<CollectNode>(node->body).pause_recording;
    if (pause != recording_paused_) {
      recording_paused_ = pause;
      out.push_back(PauseRecording{pause});
    }
    step_recorded_ = path_.size() < kMaxPathSteps;
    if (step_recorded_) {
      path_.push_back({node->id, std::string(nodeTypeName(node->type())), now, "", ""});
    }
    out.push_back(NodeEntered{node->id, std::string(nodeTypeName(node->type()))});
    std::optional<std::string> next = begin(*node, now, out);
    if (!next) return;
    id = std::move(*next);
  }
}

std::optional<std::string> Session::begin(const Node& node, UnixMillis now, Actions& out) {
  failures_ = 0;
  digits_.clear();
  switch (node.type()) {
    case NodeType::kPlay: {
      const auto& n = std::get<PlayNode>(node.body);
      if (n.prompt.empty()) {
        if (PathStep* s = step()) s->outcome = "ok";
        return n.next;
      }
      play(n.prompt, false, PlayKind::kPrompt, out);
      return std::nullopt;
    }
    case NodeType::kMenu:
    case NodeType::kCollect:
      playNodePrompt(out);
      return std::nullopt;
    case NodeType::kSet: {
      const auto& n = std::get<SetNode>(node.body);
      setVariable(n.variable, interpolate(n.value, variables_));
      if (PathStep* s = step()) s->outcome = "ok";
      return n.next;
    }
    case NodeType::kCondition: {
      const auto& n = std::get<ConditionNode>(node.body);
      for (std::size_t i = 0; i < n.rules.size(); ++i) {
        if (evaluate(n.rules[i], now)) {
          if (PathStep* s = step()) s->outcome = "rule:" + std::to_string(i);
          return n.rules[i].next;
        }
      }
      if (PathStep* s = step()) s->outcome = "else";
      return n.else_next;
    }
    case NodeType::kHttp: {
      const auto& n = std::get<HttpNode>(node.body);
      lookup_id_ = next_id_++;
      phase_ = Phase::kLookingUp;
      deadline_ = now + n.timeout_ms;
      out.push_back(HttpLookup{lookup_id_, n.method, interpolate(n.url, variables_, Escape::kUrl),
                               n.timeout_ms});
      return std::nullopt;
    }
    case NodeType::kVoicemail: {
      const auto& n = std::get<VoicemailNode>(node.body);
      if (n.prompt.empty()) {
        startRecording(n, out);
      } else {
        play(n.prompt, false, PlayKind::kPrompt, out);
      }
      return std::nullopt;
    }
    case NodeType::kTransfer: {
      const auto& n = std::get<TransferNode>(node.body);
      if (PathStep* s = step()) s->outcome = "transfer";
      phase_ = Phase::kTransferred;
      out.push_back(Transfer{n.extension, n.queue, n.number, n.trunk, n.caller_id == "caller"});
      return std::nullopt;
    }
    case NodeType::kHangup: {
      const auto& n = std::get<HangupNode>(node.body);
      if (PathStep* s = step()) s->outcome = "hangup";
      if (n.prompt.empty()) {
        hangup("normal", out);
      } else {
        play(n.prompt, false, PlayKind::kPrompt, out);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void Session::leave(std::string_view outcome, const std::string& next, UnixMillis now,
                    Actions& out) {
  if (PathStep* s = step()) s->outcome = outcome;
  deadline_.reset();
  enter(next, now, out);
}

void Session::hangup(std::string cause, Actions& out) {
  phase_ = Phase::kFinished;
  deadline_.reset();
  play_id_ = 0;
  out.push_back(Hangup{std::move(cause)});
}

PathStep* Session::step() {
  return step_recorded_ ? &path_.back() : nullptr;
}

void Session::setVariable(const std::string& name, std::string value) {
  clip(value, kMaxVariableBytes);
  variables_[name] = std::move(value);
}

void Session::play(const PromptSpec& spec, bool barge_in, PlayKind kind, Actions& out) {
  Play p;
  p.id = play_id_ = next_id_++;
  p.barge_in = barge_in_ = barge_in;
  play_kind_ = kind;
  for (const PromptPart& part : spec) {
    if (!part.file.empty()) {
      p.prompts.push_back({"", "", part.file});
    } else {
      p.prompts.push_back(
          {part.voice.empty() ? flow_->voice : part.voice, interpolate(part.tts, variables_), ""});
    }
  }
  phase_ = Phase::kPlaying;
  out.push_back(std::move(p));
}

void Session::playNodePrompt(Actions& out) {
  const PromptSpec& prompt = node_->type() == NodeType::kMenu
                                 ? std::get<MenuNode>(node_->body).prompt
                                 : std::get<CollectNode>(node_->body).prompt;
  digits_.clear();
  play(prompt, true, PlayKind::kPrompt, out);
}

void Session::waitForKeys(int timeout_ms, UnixMillis now) {
  phase_ = Phase::kWaitingKeys;
  deadline_ = now + timeout_ms;
}

Actions Session::onPlayDone(std::uint64_t id, UnixMillis now) {
  Actions out;
  if (phase_ != Phase::kPlaying || id != play_id_) return out;
  play_id_ = 0;
  switch (node_->type()) {
    case NodeType::kPlay:
      leave("ok", std::get<PlayNode>(node_->body).next, now, out);
      break;
    case NodeType::kMenu:
      if (play_kind_ == PlayKind::kRetryPrompt) {
        playNodePrompt(out);
      } else {
        waitForKeys(std::get<MenuNode>(node_->body).timeout_ms, now);
      }
      break;
    case NodeType::kCollect:
      if (play_kind_ == PlayKind::kRetryPrompt) {
        playNodePrompt(out);
      } else {
        waitForKeys(std::get<CollectNode>(node_->body).timeout_ms, now);
      }
      break;
    case NodeType::kVoicemail:
      startRecording(std::get<VoicemailNode>(node_->body), out);
      break;
    case NodeType::kHangup:
      hangup("normal", out);
      break;
    default:
      break;  // other nodes do not play
  }
  return out;
}

Actions Session::onDigit(char digit, UnixMillis now) {
  Actions out;
  if (!isDtmf(digit)) return out;
  if (phase_ == Phase::kRecording) {
    if (digit == '#' && !record_stopping_) {
      record_stopping_ = true;
      out.push_back(StopRecord{record_id_});
    }
    return out;
  }
  const bool keys_wanted =
      phase_ == Phase::kWaitingKeys || (phase_ == Phase::kPlaying && barge_in_);
  if (!keys_wanted) return out;  // play, hangup and voicemail prompts ignore keys
  if (phase_ == Phase::kPlaying) {
    out.push_back(StopPlay{play_id_});
    play_id_ = 0;
    phase_ = Phase::kWaitingKeys;
  }
  steps_without_input_ = 0;
  if (node_->type() == NodeType::kMenu) {
    menuKey(std::get<MenuNode>(node_->body), digit, now, out);
  } else {
    collectKey(std::get<CollectNode>(node_->body), digit, now, out);
  }
  return out;
}

void Session::menuKey(const MenuNode& menu, char digit, UnixMillis now, Actions& out) {
  if (PathStep* s = step()) s->input += digit;
  for (const auto& [key, target] : menu.choices) {
    if (key.size() == 1 && key[0] == digit) {
      leave("ok", target, now, out);
      return;
    }
  }
  failedTry(false, now, out);
}

void Session::collectKey(const CollectNode& collect, char digit, UnixMillis now, Actions& out) {
  if (PathStep* s = step()) s->input += collect.mask ? 'x' : digit;
  if (collect.terminator.size() == 1 && digit == collect.terminator[0]) {
    finishCollect(collect, now, out);
    return;
  }
  digits_ += digit;
  if (static_cast<int>(digits_.size()) >= collect.max_digits) {
    finishCollect(collect, now, out);
    return;
  }
  waitForKeys(collect.inter_digit_timeout_ms, now);
}

void Session::finishCollect(const CollectNode& collect, UnixMillis now, Actions& out) {
  const int n = static_cast<int>(digits_.size());
  bool valid = n >= collect.min_digits && n <= collect.max_digits;
  if (valid && collect.regex) valid = patternFound(*collect.regex, digits_);
  if (!valid) {
    failedTry(false, now, out);
    return;
  }
  setVariable(collect.variable, digits_);
  leave("ok", collect.next, now, out);
}

void Session::failedTry(bool timeout, UnixMillis now, Actions& out) {
  deadline_.reset();
  digits_.clear();
  const bool menu = node_->type() == NodeType::kMenu;
  const int retries =
      menu ? std::get<MenuNode>(node_->body).retries : std::get<CollectNode>(node_->body).retries;
  if (++failures_ >= retries) {
    const std::string& fallback = menu ? std::get<MenuNode>(node_->body).fallback
                                       : std::get<CollectNode>(node_->body).fallback;
    if (PathStep* s = step()) s->outcome = timeout ? "timeout" : "invalid";
    if (fallback.empty()) {
      hangup("retries_exhausted", out);
    } else {
      enter(fallback, now, out);
    }
    return;
  }
  const PromptSpec* retry = nullptr;
  if (menu) {
    const auto& m = std::get<MenuNode>(node_->body);
    retry = timeout ? &m.timeout_prompt : &m.invalid_prompt;
  } else {
    const auto& c = std::get<CollectNode>(node_->body);
    retry = timeout ? &c.timeout_prompt : &c.invalid_prompt;
  }
  if (retry->empty()) {
    playNodePrompt(out);
  } else {
    play(*retry, true, PlayKind::kRetryPrompt, out);
  }
}

Actions Session::onTimer(UnixMillis now) {
  Actions out;
  if (!deadline_ || now < *deadline_) return out;
  deadline_.reset();
  if (phase_ == Phase::kLookingUp) {
    lookupFailed("timeout", now, out);
  } else if (phase_ == Phase::kWaitingKeys) {
    if (node_->type() == NodeType::kCollect && !digits_.empty()) {
      finishCollect(std::get<CollectNode>(node_->body), now, out);
    } else {
      failedTry(true, now, out);
    }
  }
  return out;
}

void Session::startRecording(const VoicemailNode& voicemail, Actions& out) {
  record_id_ = next_id_++;
  record_stopping_ = false;
  phase_ = Phase::kRecording;
  out.push_back(Record{record_id_, voicemail.max_seconds});
}

Actions Session::onRecordDone(std::uint64_t id, bool ok, std::string recording_ref,
                              UnixMillis now) {
  Actions out;
  if (phase_ != Phase::kRecording || id != record_id_) return out;
  steps_without_input_ = 0;
  const bool kept = ok && !recording_ref.empty();
  if (kept) out.push_back(CallbackRequest{std::move(recording_ref), call_.caller, node_->id});
  leave(kept ? "ok" : "error", std::get<VoicemailNode>(node_->body).next, now, out);
  return out;
}

Actions Session::onLookupDone(std::uint64_t id, const Result<std::string>& body, UnixMillis now) {
  Actions out;
  if (phase_ != Phase::kLookingUp || id != lookup_id_) return out;
  deadline_.reset();
  if (!body.isOk() || body->size() > kMaxLookupBodyBytes) {
    lookupFailed("error", now, out);
    return out;
  }
  json::value doc;
  try {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    doc = json::parse(*body, ec, {}, opts);
    if (ec) {
      lookupFailed("error", now, out);
      return out;
    }
    const auto& node = std::get<HttpNode>(node_->body);
    for (const auto& [variable, pointer] : node.results) {
      boost::system::error_code pec;
      const json::value* v = doc.find_pointer(pointer, pec);
      setVariable(variable, v ? jsonText(*v) : std::string());
    }
  } catch (const std::exception&) {  // allocation failure
    lookupFailed("error", now, out);
    return out;
  }
  leave("ok", std::get<HttpNode>(node_->body).next, now, out);
  return out;
}

void Session::lookupFailed(std::string_view outcome, UnixMillis now, Actions& out) {
  const auto& n = std::get<HttpNode>(node_->body);
  leave(outcome, n.on_error.empty() ? n.next : n.on_error, now, out);
}

Actions Session::onTransferFailed(UnixMillis now) {
  Actions out;
  if (phase_ != Phase::kTransferred) return out;
  if (PathStep* s = step()) s->outcome = "transfer_failed";
  const std::string& fallback = std::get<TransferNode>(node_->body).fallback;
  if (fallback.empty()) {
    hangup("transfer_failed", out);
  } else {
    enter(fallback, now, out);
  }
  return out;
}

void Session::onCallerHangup(UnixMillis now) {
  if (phase_ == Phase::kFinished) return;
  if (PathStep* s = step(); s && s->outcome.empty()) s->outcome = "abandoned";
  phase_ = Phase::kFinished;
  deadline_.reset();
}

bool Session::evaluate(const Rule& rule, UnixMillis now) const {
  switch (rule.kind) {
    case Rule::Kind::kBusinessHours: {
      auto it = flow_->calendars.find(rule.calendar);
      return it != flow_->calendars.end() && it->second.isOpen(now);
    }
    case Rule::Kind::kCallerIn: {
      auto it = flow_->lists.find(rule.list);
      return it != flow_->lists.end() && it->second.contains(call_.caller);
    }
    case Rule::Kind::kVariable: {
      auto it = variables_.find(rule.variable);
      std::string_view value = it == variables_.end() ? std::string_view() : it->second;
      return compareValues(value, rule.op, rule.value, rule.regex.get());
    }
  }
  return false;
}

std::string Session::pathJson() const {
  json::array steps;
  for (const PathStep& s : path_) {
    steps.push_back(json::object{{"node", s.node_id},
                                 {"type", s.type},
                                 {"at", formatTimestamp(s.entered_at)},
                                 {"input", s.input},
                                 {"outcome", s.outcome}});
  }
  return json::serialize(steps);
}

}  // namespace ting::ivr
