#pragma once
// The knowledge base: articles and standard reply scripts (话术) per tenant,
// in Chinese and English, each for a situation (the caller is silent, asks
// for the staff number, wants the manager...). Scripts carry variables —
// {{customer_name}}, {{agent_staff_no}}, {{reference}}, {{promised_reply_at}},
// {{previous_agent}} — filled in for the call at hand. Ting ships a default
// set (default_kb.json); tenants edit their copy.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace ting::kb {

struct Entry {
  std::int64_t id = 0;
  std::string kind;       // article, script
  std::string situation;  // a key such as "wants_manager"; "" for none
  std::string lang;       // zh, en
  std::string title;
  std::string body;
  std::optional<std::int64_t> category_id;  // a work-order category it helps with
  bool active = true;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

boost::json::object toJson(const Entry& e);

struct EntryFields {
  std::optional<std::string> kind;
  std::optional<std::string> situation;
  std::optional<std::string> lang;
  std::optional<std::string> title;
  std::optional<std::string> body;
  std::optional<std::optional<std::int64_t>> category_id;
  std::optional<bool> active;
};

Result<Entry> createEntry(store::Tx& tx, const EntryFields& f);
Result<Entry> updateEntry(store::Tx& tx, std::int64_t id, const EntryFields& f);
Status deleteEntry(store::Tx& tx, std::int64_t id);
Result<Entry> getEntry(store::Session& s, std::int64_t tenant_id, std::int64_t id);

// The situations whose entries help with any complaint, in the order an
// agent needs them: how to handle one, the complaint script, a caller who
// wants a manager, when the reply will come, a complaint about an agent.
inline constexpr const char* kComplaintHandlingSituations[] = {
    "complaint_method", "complaint", "wants_manager", "when_reply", "complaint_about_agent"};

struct EntryFilter {
  std::string kind, lang, situation;
  std::optional<std::int64_t> category_id;
  std::optional<bool> active;
};
Result<store::Page> listEntries(store::Session& s, std::int64_t tenant_id, const EntryFilter& f,
                                const store::PageRequest& page);
std::vector<Entry> entriesOf(const store::Page& page);
// Entries changed after `since` (any tenant), oldest first: the search indexer.
Result<std::vector<std::pair<std::int64_t, Entry>>> changedSince(store::Session& s,
                                                                 UnixMillis since, int limit);

// Adds the default entries the tenant lacks (by kind, situation and
// language); returns how many were added.
Result<int> installDefaults(store::Tx& tx);

// Replaces {{name}} in `text` with vars[name]; names without a value stay as
// they are and are listed in `missing`.
std::string render(const std::string& text, const std::map<std::string, std::string>& vars,
                   std::vector<std::string>* missing = nullptr);

// The variables of a call at hand: the agent (staff number, name), the
// customer, the work order (reference, promised reply time, shown in
// `time_zone`) and who served the customer last time.
Result<std::map<std::string, std::string>> variablesFor(store::Session& s, std::int64_t tenant_id,
                                                        std::int64_t agent_user_id,
                                                        std::optional<std::int64_t> customer_id,
                                                        std::optional<std::int64_t> work_order_id);

}  // namespace ting::kb
