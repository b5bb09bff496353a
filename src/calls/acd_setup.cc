#include "calls/acd_setup.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

namespace ting::calls {

const char* overflowName(Overflow overflow) {
  switch (overflow) {
    case Overflow::kFallback:
      return "fallback";
    case Overflow::kQueue:
      return "queue";
    case Overflow::kCallback:
      return "callback";
    case Overflow::kHangup:
      return "hangup";
  }
  return "fallback";
}

std::optional<Overflow> parseOverflow(std::string_view name) {
  for (Overflow o : {Overflow::kFallback, Overflow::kQueue, Overflow::kCallback, Overflow::kHangup}) {
    if (name == overflowName(o)) return o;
  }
  return std::nullopt;
}

namespace {

constexpr size_t kMaxSkills = 8;
constexpr size_t kMaxSteps = 8;
constexpr std::int64_t kMaxAfterSeconds = 86'400;

}  // namespace

bool isAcdName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

Result<std::vector<acd::SkillRequirement>> parseQueueSkills(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec) return invalidValue("skills is not valid JSON", "skills");
  if (!v.is_array()) return invalidValue("skills must be an array", "skills");
  const auto& arr = v.as_array();
  if (arr.size() > kMaxSkills) return invalidValue("at most 8 required skills", "skills");
  std::vector<acd::SkillRequirement> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string where = "skills[" + std::to_string(i) + "]";
    const auto* o = arr[i].if_object();
    if (o == nullptr) return invalidValue(where + " must be an object", where);
    acd::SkillRequirement r;
    const auto* name = o->if_contains("skill");
    if (name == nullptr || !name->is_string() || !isAcdName(name->as_string())) {
      return invalidValue(where + ".skill must be 1-64 of A-Z a-z 0-9 _ -", where + ".skill");
    }
    r.skill = std::string(name->as_string());
    const auto* steps = o->if_contains("steps");
    if (steps == nullptr || !steps->is_array() || steps->as_array().empty() ||
        steps->as_array().size() > kMaxSteps) {
      return invalidValue(where + ".steps must be an array of 1-8 steps", where + ".steps");
    }
    std::int64_t last = -1;
    for (size_t k = 0; k < steps->as_array().size(); ++k) {
      const std::string at = where + ".steps[" + std::to_string(k) + "]";
      const auto* step = steps->as_array()[k].if_object();
      const boost::json::value* after = step ? step->if_contains("after_seconds") : nullptr;
      const boost::json::value* level = step ? step->if_contains("min_level") : nullptr;
      if (after == nullptr || !after->is_int64() || level == nullptr || !level->is_int64()) {
        return invalidValue(at + " needs integer after_seconds and min_level", at);
      }
      const std::int64_t a = after->as_int64(), l = level->as_int64();
      if (a < 0 || a > kMaxAfterSeconds || a <= last) {
        return invalidValue(at + ".after_seconds must ascend within 0-86400", at + ".after_seconds");
      }
      if (l < acd::kMinSkillLevel || l > acd::kMaxSkillLevel) {
        return invalidValue(at + ".min_level must be 1-5", at + ".min_level");
      }
      last = a;
      r.steps.push_back({a, static_cast<int>(l)});
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string queueSkillsJson(const std::vector<acd::SkillRequirement>& skills) {
  boost::json::array arr;
  for (const auto& r : skills) {
    boost::json::array steps;
    for (const auto& s : r.steps) {
      steps.push_back(boost::json::object{{"after_seconds", s.after_seconds},
                                          {"min_level", s.min_level}});
    }
    arr.push_back(boost::json::object{{"skill", r.skill}, {"steps", std::move(steps)}});
  }
  return boost::json::serialize(arr);
}

Result<std::vector<acd::SkillRequirement>> parseCallSkills(std::string_view text) {
  std::vector<acd::SkillRequirement> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    int level = 1;
    const auto colon = item.find(':');
    std::string_view name = item.substr(0, colon);
    if (colon != std::string_view::npos) {
      std::string_view digits = item.substr(colon + 1);
      if (digits.size() != 1 || digits[0] < '1' || digits[0] > '0' + acd::kMaxSkillLevel) {
        return invalidValue("skill " + std::string(name) + ": the level is 1-5", "skills");
      }
      level = digits[0] - '0';
    }
    if (!isAcdName(name)) {
      return invalidValue("a skill name is 1-64 of A-Z a-z 0-9 _ -", "skills");
    }
    if (out.size() == 8) return invalidValue("at most 8 skills", "skills");
    acd::SkillRequirement r;
    r.skill = std::string(name);
    r.steps = {{0, level}};
    std::erase_if(out, [&](const auto& o) { return o.skill == r.skill; });
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<acd::SkillRequirement> withCallSkills(std::vector<acd::SkillRequirement> queue,
                                                  const std::vector<acd::SkillRequirement>& call) {
  for (const auto& c : call) {
    std::erase_if(queue, [&](const auto& q) { return q.skill == c.skill; });
    queue.push_back(c);
  }
  return queue;
}

QueueSetup queueFromRow(const store::Row& r) {
  QueueSetup q;
  q.id = r.integer(0);
  q.tenant_id = r.integer(1);
  q.name = r.text(2);
  q.display_name = r.text(3);
  q.strategy = acd::parseStrategy(r.text(4)).value_or(acd::Strategy::kLongestIdle);
  q.offer_timeout_s = static_cast<int>(r.integer(5));
  q.wrap_up_s = static_cast<int>(r.integer(6));
  q.max_wait_s = static_cast<int>(r.integer(7));
  q.overflow = parseOverflow(r.text(8)).value_or(Overflow::kFallback);
  q.overflow_queue = r.isNull(9) ? "" : r.text(9);
  q.join_empty = r.integer(10) != 0;
  q.leave_empty = r.integer(11) != 0;
  q.announce_interval_s = static_cast<int>(r.integer(12));
  q.callback_key = r.text(13);
  q.abandon_return_s = static_cast<int>(r.integer(14));
  q.announce_staff_no = r.integer(15) != 0;
  q.survey = r.integer(16) != 0;
  q.callback_attempts = static_cast<int>(r.integer(18));
  q.callback_retry_s = static_cast<int>(r.integer(19));
  auto skills = parseQueueSkills(r.text(17));
  if (skills.isOk()) {
    q.skills = std::move(*skills);
  } else {
    spdlog::warn("queue {}: skills ignored: {}", q.name, skills.status().message());
  }
  return q;
}

}  // namespace ting::calls
