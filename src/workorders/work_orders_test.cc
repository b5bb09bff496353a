// Work orders against a real database (SQLite here, PostgreSQL when
// TING_TEST_PG_URL is set) with a fake clock: lifecycle side effects, SLA
// arithmetic across calendars, pauses and breaches, repeats, approvals and
// tenant isolation.
#include "workorders/work_orders.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "common/event_bus.h"
#include "store/test_database.h"
#include "workorders/settings.h"
#include "workorders/sla.h"

namespace ting::workorders {
namespace {

using identity::Role;
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// 2026-11-20 (a Friday) 09:00 in Shanghai (UTC+8) = 01:00 UTC.
constexpr UnixMillis kFriday0900 = 1'795'136'400'000;

class WorkOrdersTest : public ::testing::TestWithParam<store::Dialect> {
 protected:
  WorkOrdersTest() : tdb_(GetParam()) {}

  void SetUp() override {
    TING_REQUIRE_TEST_DATABASE(tdb_);
    clock_.set(kFriday0900);
    store_ = std::make_unique<store::Store>(tdb_.db(), bus_, clock_);
    a_ = tenant("a");
    b_ = tenant("b");
    agent_ = user(a_, "agent1", "agent");
    lead_ = user(a_, "lead1", "team_lead");
    customer_ = customer(a_, "+8613800138000", 0);
    vip_ = customer(a_, "+8613900139000", 3);
  }

  std::int64_t insert(const std::string& sql, std::initializer_list<store::Value> params) {
    std::int64_t id = 0;
    Status s = tdb_.db().write([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(store::Row r, s.queryOne(sql + " RETURNING id", params));
      id = r.integer(0);
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.message();
    return id;
  }
  std::int64_t tenant(const std::string& slug) {
    return insert("INSERT INTO tenants (slug, name, created_at, updated_at) VALUES (?, ?, 0, 0)",
                  {slug, slug});
  }
  std::int64_t user(std::int64_t tenant_id, const std::string& name, const std::string& role) {
    return insert(
        "INSERT INTO users (tenant_id, username, role, password_hash, created_at, "
        "updated_at) VALUES (?, ?, ?, 'x', 0, 0)",
        {tenant_id, name, role});
  }
  std::int64_t customer(std::int64_t tenant_id, const std::string& phone, int vip) {
    const std::int64_t id = insert(
        "INSERT INTO customers (tenant_id, name, vip, vip_level, created_at, updated_at) VALUES "
        "(?, 'C', ?, ?, 0, 0)",
        {tenant_id, std::int64_t{vip > 0}, std::int64_t{vip}});
    insert(
        "INSERT INTO customer_phones (tenant_id, customer_id, number, e164, kind, position) "
        "VALUES (?, ?, ?, ?, 'mobile', 0)",
        {tenant_id, id, phone, phone});
    return id;
  }

  store::Actor actor(std::int64_t tenant_id, std::int64_t user_id = 0) {
    return {.tenant_id = tenant_id, .user_id = user_id, .name = "u" + std::to_string(user_id)};
  }

  template <typename Fn>
  auto write(std::int64_t tenant_id, std::int64_t user_id, Fn fn) {
    decltype(fn(std::declval<store::Tx&>())) out = Status(StatusCode::kInternal, "not run");
    Status s = store_->write(actor(tenant_id, user_id), [&](store::Tx& tx) -> Status {
      out = fn(tx);
      return out.status();
    });
    (void)s;
    return out;
  }

  Result<WorkOrder> create(WorkOrderFields f, std::int64_t tenant_id = 0) {
    if (!f.subject) f.subject = "Billed twice";
    return write(tenant_id ? tenant_id : a_, agent_,
                 [&](store::Tx& tx) { return createWorkOrder(tx, f); });
  }
  Result<WorkOrder> act(std::int64_t id, Action a, ActionInput in = {}, Role role = Role::kAgent,
                        std::int64_t user_id = 0) {
    return write(a_, user_id ? user_id : agent_,
                 [&](store::Tx& tx) { return applyAction(tx, id, a, in, role); });
  }
  Result<std::int64_t> calendar(const std::string& json) {
    auto cal = BusinessCalendar::fromJson(boost::json::parse(json));
    if (!cal.isOk()) return cal.status();
    auto saved = write(a_, 0, [&](store::Tx& tx) {
      return saveCalendar(tx, {.id = 0, .name = "office", .calendar = *cal});
    });
    if (!saved.isOk()) return saved.status();
    return saved->id;
  }
  Result<SlaPolicy> policy(const std::string& json) {
    return write(a_, 0, [&](store::Tx& tx) -> Result<SlaPolicy> {
      TING_ASSIGN_OR_RETURN(
          SlaPolicy p, policyFromJson(tx.session(), a_, boost::json::parse(json).as_object(), {}));
      return savePolicy(tx, p);
    });
  }
  boost::json::object sla(std::int64_t id) {
    boost::json::object out;
    Status s = store_->read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(out, slaOf(s, a_, id));
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.message();
    return out;
  }
  const boost::json::object* clock(const boost::json::object& sla, const std::string& kind,
                                   const std::string& status = "") {
    const boost::json::object* found = nullptr;
    for (const auto& c : sla.at("clocks").as_array()) {
      if (c.at("kind") == kind.c_str() && (status.empty() || c.at("status") == status.c_str())) {
        found = &c.as_object();
      }
    }
    return found;
  }
  std::vector<std::string> eventKinds(const boost::json::object& sla, const std::string& clk) {
    std::vector<std::string> out;
    for (const auto& e : sla.at("events").as_array()) {
      const bool match = clk.empty() ? e.at("clock").is_null() : e.at("clock") == clk.c_str();
      if (match) out.emplace_back(e.at("kind").as_string());
    }
    return out;
  }
  int sweep() {
    auto r = sweepSla(*store_);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? *r : -1;
  }

  store::TestDatabase tdb_;
  EventBus bus_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::int64_t a_ = 0, b_ = 0, agent_ = 0, lead_ = 0, customer_ = 0, vip_ = 0;
};

TEST_P(WorkOrdersTest, ReferencesAreReadableAndNumberedPerLocalDay) {
  auto w1 = create({});
  ASSERT_TRUE(w1.isOk()) << w1.status().message();
  EXPECT_EQ(w1->reference, "C20261120-0001");
  EXPECT_EQ(w1->state, State::kNew);
  EXPECT_EQ(w1->owner_id, agent_) << "the agent who records it owns it";
  auto w2 = create({.type = "inquiry"});
  ASSERT_TRUE(w2.isOk());
  EXPECT_EQ(w2->reference, "Q20261120-0002");
  // 16:00 UTC is midnight in Shanghai: a new local day starts numbering again.
  clock_.set(kFriday0900 + 15 * kHour);
  auto w3 = create({});
  ASSERT_TRUE(w3.isOk());
  EXPECT_EQ(w3->reference, "C20261121-0001");
  auto other = create({}, b_);
  ASSERT_TRUE(other.isOk());
  EXPECT_EQ(other->reference, "C20261121-0001") << "each tenant numbers its own";
  EXPECT_EQ(formatReference("praise", 0, 12345), "P19700101-12345");
}

TEST_P(WorkOrdersTest, FieldsAreCheckedAndNamed) {
  auto bad = create({.type = "rant"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "type");
  bad = create({.type = "praise", .complainant_type = "attitude"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "complainant_type");
  const std::int64_t foreign = customer(b_, "+8613700137000", 0);
  bad = create({.customer_id = std::optional<std::int64_t>(foreign)});
  ASSERT_FALSE(bad.isOk()) << "another tenant's customer";
  EXPECT_EQ(bad.status().field(), "customer_id");
  bad = create({.call_ids = std::vector<std::string>{"no-such-call"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "call_ids[0]");
  bad = create({.subject = ""});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "subject");
}

TEST_P(WorkOrdersTest, LinkedCallsWithoutACustomerJoinTheWorkOrdersCustomer) {
  auto call = [&](const std::string& ref, std::optional<std::int64_t> customer_id) {
    insert("INSERT INTO calls (tenant_id, call_ref, direction, from_number, state, arrived_at, "
           "customer_id) VALUES (?, ?, 'inbound', '13800138000', 'ended', 0, ?)",
           {a_, ref, customer_id ? store::Value(*customer_id) : store::nullValue()});
  };
  call("call-unmatched", std::nullopt);
  call("call-of-vip", vip_);
  auto w = create({.customer_id = std::optional<std::int64_t>(customer_),
                   .call_ids = std::vector<std::string>{"call-unmatched", "call-of-vip"}});
  ASSERT_TRUE(w.isOk()) << w.status().message();
  store::Rows rows;
  Status s = tdb_.db().read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(
        rows, session.query("SELECT call_ref, customer_id FROM calls ORDER BY call_ref", {}));
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].integer(1), vip_) << "a call the screen pop matched keeps its customer";
  EXPECT_EQ(rows[1].integer(1), customer_);
}

TEST_P(WorkOrdersTest, FullLifecycleWithFollowUpAndHistory) {
  auto w = create({.customer_id = std::optional<std::int64_t>(customer_)});
  ASSERT_TRUE(w.isOk());
  const std::int64_t id = w->id;
  auto r = act(id, Action::kAccept);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().field(), "promised_reply_at");
  ASSERT_TRUE(act(id, Action::kAccept, {.promised_reply_at = kFriday0900 + kDay}).isOk());
  ASSERT_TRUE(act(id, Action::kInvestigate).isOk());
  ASSERT_TRUE(act(id, Action::kPropose,
                  {.solution = "Refund the second charge", .compensation_cents = 5'000})
                  .isOk());
  auto rej = act(id, Action::kCustomerReject, {.reason = "wants an apology too"});
  ASSERT_TRUE(rej.isOk());
  r = act(id, Action::kCustomerAccept);
  ASSERT_FALSE(r.isOk()) << "the rejected proposal is no longer open";
  EXPECT_EQ(r.status().reason(), "no_open_proposal");
  ASSERT_TRUE(act(id, Action::kPropose, {.solution = "Refund and a written apology"}).isOk());
  ASSERT_TRUE(act(id, Action::kCustomerAccept).isOk());
  ASSERT_TRUE(act(id, Action::kDispatch, {.department = "billing"}).isOk());
  ASSERT_TRUE(act(id, Action::kDepartmentReply, {.reply = "refunded on 11-21"}).isOk());
  ASSERT_TRUE(act(id, Action::kResolve, {.resolution = "Refunded, apology sent"}).isOk());
  r = act(id, Action::kClose);
  ASSERT_FALSE(r.isOk()) << "complaints close through their follow-up";
  EXPECT_EQ(r.status().reason(), "follow_up_required");
  ASSERT_TRUE(act(id, Action::kStartFollowUp).isOk());
  r = act(id, Action::kFollowUpResult, {.result = "happy"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().field(), "satisfaction");
  auto done = act(id, Action::kFollowUpResult, {.result = "happy", .satisfaction = 5});
  ASSERT_TRUE(done.isOk()) << done.status().message();
  EXPECT_EQ(done->state, State::kClosed);
  EXPECT_EQ(done->close_reason, "resolved");
  EXPECT_EQ(done->satisfaction, 5);

  Status s = store_->read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(boost::json::array h, history(s, a_, id));
    std::vector<std::string> actions;
    for (const auto& e : h) actions.emplace_back(e.at("action").as_string());
    EXPECT_EQ(actions, (std::vector<std::string>{"create", "accept", "investigate", "propose",
                                                 "customer_reject", "propose", "customer_accept",
                                                 "dispatch", "department_reply", "resolve",
                                                 "start_follow_up", "follow_up_result"}));
    // Before and after of a change.
    const auto& dispatch = h[7].at("changes").as_object();
    EXPECT_EQ(dispatch.at("state").as_array()[0], "proposing");
    EXPECT_EQ(dispatch.at("state").as_array()[1], "dispatched");
    EXPECT_EQ(dispatch.at("department").as_array()[1], "billing");
    TING_ASSIGN_OR_RETURN(boost::json::array p, proposals(s, a_, id));
    EXPECT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].at("status"), "rejected");
    EXPECT_EQ(p[0].at("reason"), "wants an apology too");
    EXPECT_EQ(p[1].at("status"), "accepted");
    TING_ASSIGN_OR_RETURN(store::Rows cb, s.query("SELECT status, source, number FROM "
                                                  "callback_requests WHERE work_order_id = ?",
                                                  {id}));
    EXPECT_EQ(cb.size(), 1u) << "the follow-up is a callback task";
    if (!cb.empty()) {
      EXPECT_EQ(cb[0].text(0), "completed");
      EXPECT_EQ(cb[0].text(2), "+8613800138000");
    }
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.message();

  // Reopened within the window; not after it.
  clock_.set(kFriday0900 + 2 * kDay);
  auto reopened = act(id, Action::kReopen, {.reason = "refund not received"});
  ASSERT_TRUE(reopened.isOk()) << reopened.status().message();
  EXPECT_EQ(reopened->state, State::kInvestigating);
  EXPECT_EQ(reopened->rehandled, 1);
  EXPECT_FALSE(reopened->closed_at);
  ASSERT_TRUE(act(id, Action::kCloseUnresolved,
                  {.reason = "disputes the amount", .external_routes = "regulator hotline"})
                  .isOk());
  clock_.set(kFriday0900 + 40 * kDay);
  r = act(id, Action::kReopen, {.reason = "again"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().reason(), "reopen_window_passed");
}

TEST_P(WorkOrdersTest, AnUnreachedFollowUpIsTriedAgainThenClosedUnreachable) {
  auto w = create({.customer_id = std::optional<std::int64_t>(customer_)});
  ASSERT_TRUE(w.isOk());
  const std::int64_t id = w->id;
  ASSERT_TRUE(act(id, Action::kResolveOnSpot, {.resolution = "refunded"}).isOk());
  ASSERT_TRUE(act(id, Action::kStartFollowUp).isOk());
  // Two calls that miss the customer leave it in follow-up with the callback open.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto r = act(id, Action::kFollowUpResult, {.result = "no answer", .reached = false});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r->state, State::kFollowUp) << "attempt " << attempt;
    EXPECT_FALSE(r->closed_at);
  }
  store::Rows cb;
  Status s = tdb_.db().read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(cb, session.query("SELECT status, attempts FROM callback_requests "
                                            "WHERE work_order_id = ?",
                                            {id}));
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(cb[0].text(0), "open");
  EXPECT_EQ(cb[0].integer(1), 2);
  // The third (the tenant's follow_up_attempts, 3 by default) closes it unreached.
  auto last = act(id, Action::kFollowUpResult, {.result = "number off", .reached = false});
  ASSERT_TRUE(last.isOk()) << last.status().message();
  EXPECT_EQ(last->state, State::kClosed);
  EXPECT_EQ(last->close_reason, "resolved");
  EXPECT_FALSE(last->satisfaction);
  auto hist = store_->read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(auto rows, session.query("SELECT changes FROM work_order_history WHERE "
                                                   "work_order_id = ? ORDER BY id DESC LIMIT 1",
                                                   {id}));
    EXPECT_NE(rows[0].text(0).find("\"unreachable\":true"), std::string::npos) << rows[0].text(0);
    EXPECT_NE(rows[0].text(0).find("\"attempt\":3"), std::string::npos) << rows[0].text(0);
    return Status::ok();
  });
  EXPECT_TRUE(hist.isOk()) << hist.message();
}

TEST_P(WorkOrdersTest, OnTheSpotDuplicateAndVersionChecks) {
  auto w = create({.type = "inquiry"});
  ASSERT_TRUE(w.isOk());
  auto spot = act(w->id, Action::kResolveOnSpot, {.resolution = "explained the bill"});
  ASSERT_TRUE(spot.isOk());
  EXPECT_TRUE(spot->on_the_spot);
  EXPECT_EQ(spot->state, State::kResolved);
  auto closed = act(w->id, Action::kClose);
  ASSERT_TRUE(closed.isOk()) << "inquiries need no follow-up";

  auto original = create({});
  auto dup = create({});
  ASSERT_TRUE(original.isOk() && dup.isOk());
  auto r = act(dup->id, Action::kCloseDuplicate, {.duplicate_of = dup->id});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().field(), "duplicate_of");
  r = act(dup->id, Action::kAccept,
          {.promised_reply_at = kFriday0900 + kHour, .expected_version = dup->version + 5});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().reason(), "version_mismatch");
  r = act(dup->id, Action::kCloseDuplicate, {.duplicate_of = original->id});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->close_reason, "duplicate");
  EXPECT_EQ(r->duplicate_of, original->id);
  r = act(dup->id, Action::kReopen, {.reason = "x"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().reason(), "duplicate");
  r = act(original->id, Action::kInvestigate);
  ASSERT_FALSE(r.isOk()) << "new → investigating skips accepting";
  EXPECT_EQ(r.status().reason(), "invalid_transition");
}

TEST_P(WorkOrdersTest, RemedyAboveTheAgentsLimitWaitsForApproval) {
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(act(w->id, Action::kAccept, {.promised_reply_at = kFriday0900 + kDay}).isOk());
  ASSERT_TRUE(act(w->id, Action::kInvestigate).isOk());
  auto p = act(w->id, Action::kPropose, {.solution = "Refund 500", .compensation_cents = 50'000});
  ASSERT_TRUE(p.isOk());
  auto r = act(w->id, Action::kCustomerAccept);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().reason(), "approval_pending");
  r = act(w->id, Action::kResolve, {.resolution = "x"});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().reason(), "approval_pending");
  Status s = store_->read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(store::Rows rows,
                          s.query("SELECT required_role, status, amount_cents FROM approvals "
                                  "WHERE work_order_id = ?",
                                  {w->id}));
    EXPECT_EQ(rows.size(), 1u);
    if (!rows.empty()) {
      EXPECT_EQ(rows[0].text(0), "team_lead") << "500 yuan is within a team lead's 2,000";
      EXPECT_EQ(rows[0].text(1), "pending");
      EXPECT_EQ(rows[0].integer(2), 50'000);
    }
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk());
  // A team lead offers the same amount without approval.
  auto lead = act(w->id, Action::kPropose, {.solution = "Refund 500", .compensation_cents = 50'000},
                  Role::kTeamLead, lead_);
  ASSERT_TRUE(lead.isOk());
  EXPECT_TRUE(act(w->id, Action::kCustomerAccept).isOk());
  // Above the lead's limit a supervisor must approve.
  auto big =
      act(w->id, Action::kPropose, {.solution = "Refund 5000", .compensation_cents = 500'000},
          Role::kTeamLead, lead_);
  ASSERT_TRUE(big.isOk());
  s = store_->read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(store::Rows rows,
                          s.query("SELECT required_role, status FROM approvals WHERE "
                                  "work_order_id = ? ORDER BY id",
                                  {w->id}));
    EXPECT_EQ(rows.size(), 2u);
    if (rows.size() == 2) {
      EXPECT_EQ(rows[0].text(1), "withdrawn") << "superseded by the lead's own offer";
      EXPECT_EQ(rows[1].text(0), "supervisor");
    }
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk());
}

TEST_P(WorkOrdersTest, RepeatsAndRehandlingEscalate) {
  const std::int64_t cat = insert(
      "INSERT INTO work_order_categories (tenant_id, name, created_at, updated_at) VALUES "
      "(?, 'billing', 0, 0)",
      {a_});
  auto first = create({.category_id = std::optional<std::int64_t>(cat),
                       .customer_id = std::optional<std::int64_t>(customer_)});
  ASSERT_TRUE(first.isOk());
  EXPECT_FALSE(first->repeat_of);
  clock_.set(kFriday0900 + 10 * kDay);
  auto second = create({.category_id = std::optional<std::int64_t>(cat),
                        .customer_id = std::optional<std::int64_t>(customer_)});
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(second->repeat_of, first->id);
  auto other_customer = create({.category_id = std::optional<std::int64_t>(cat),
                                .customer_id = std::optional<std::int64_t>(vip_)});
  ASSERT_TRUE(other_customer.isOk());
  EXPECT_FALSE(other_customer->repeat_of);
  clock_.set(kFriday0900 + 50 * kDay);
  auto later = create({.category_id = std::optional<std::int64_t>(cat),
                       .customer_id = std::optional<std::int64_t>(customer_)});
  ASSERT_TRUE(later.isOk());
  EXPECT_EQ(later->repeat_of, std::nullopt) << "outside the 30-day window since the last";

  // The customer and category filled in after the call: flagged the same way.
  clock_.set(kFriday0900 + 52 * kDay);
  auto blank = create({});
  ASSERT_TRUE(blank.isOk());
  EXPECT_FALSE(blank->repeat_of);
  auto filled = write(a_, agent_, [&](store::Tx& tx) {
    return updateWorkOrder(tx, blank->id,
                           {.category_id = std::optional<std::int64_t>(cat),
                            .customer_id = std::optional<std::int64_t>(customer_)});
  });
  ASSERT_TRUE(filled.isOk()) << filled.status().message();
  EXPECT_EQ(filled->repeat_of, later->id);
  auto reread = store_->read([&](store::Session& ss) -> Status {
    TING_ASSIGN_OR_RETURN(WorkOrder o, getWorkOrder(ss, a_, blank->id));
    EXPECT_EQ(o.repeat_of, later->id) << "stored, not only returned";
    return Status::ok();
  });
  EXPECT_TRUE(reread.isOk()) << reread.message();

  // Sent back and forth between departments: counted, escalated at the third time.
  const std::int64_t id = later->id;
  ASSERT_TRUE(act(id, Action::kAccept, {.promised_reply_at = clock_.nowMillis() + kDay}).isOk());
  ASSERT_TRUE(act(id, Action::kInvestigate).isOk());
  ASSERT_TRUE(act(id, Action::kDispatch, {.department = "billing"}).isOk());
  auto w = act(id, Action::kReturn, {.reason = "not ours"});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->rehandled, 1);
  // Dispatched again after the return: a transfer, but the bounce counted once.
  w = act(id, Action::kDispatch, {.department = "network"});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->transfers, 1);
  EXPECT_EQ(w->rehandled, 1);
  // Straight on to another department: handled again.
  w = act(id, Action::kDispatch, {.department = "billing"});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->transfers, 2);
  EXPECT_EQ(w->rehandled, 2);
  EXPECT_EQ(w->escalation_level, 0);
  w = act(id, Action::kReturn, {.reason = "still not ours"});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->rehandled, 3);
  EXPECT_EQ(w->escalation_level, 1) << "handled 3 times: escalated";
  EXPECT_EQ(eventKinds(sla(id), "").back(), "escalated");
  // Each time after that, one level more.
  ASSERT_TRUE(act(id, Action::kDispatch, {.department = "network"}).isOk());
  w = act(id, Action::kReturn, {.reason = "no"});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->rehandled, 4);
  EXPECT_EQ(w->escalation_level, 2);
}

TEST_P(WorkOrdersTest, DepartmentDeadlineWarnsBreachesAndEndsWithTheReply) {
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  const std::int64_t id = w->id;
  ASSERT_TRUE(act(id, Action::kAccept, {.promised_reply_at = clock_.nowMillis() + 3 * kDay}).isOk());
  ASSERT_TRUE(act(id, Action::kInvestigate).isOk());
  // A deadline in the past is refused.
  auto refused = act(id, Action::kDispatch,
                     {.department = "维修部", .department_due_at = clock_.nowMillis() - kMinute});
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().field(), "department_due_at");
  // Ten hours of wall-clock time: warned at 8 (80% without a policy), breached at 10.
  auto d = act(id, Action::kDispatch,
               {.department = "维修部", .department_due_at = clock_.nowMillis() + 10 * kHour});
  ASSERT_TRUE(d.isOk()) << d.status().message();
  auto s = sla(id);
  ASSERT_TRUE(clock(s, "department", "running"));
  EXPECT_EQ(clock(s, "department", "running")->at("due_at"),
            formatTimestamp(kFriday0900 + 10 * kHour).c_str());
  clock_.set(kFriday0900 + 8 * kHour + kMinute);
  sweep();
  EXPECT_EQ(eventKinds(sla(id), "department"), (std::vector<std::string>{"started", "warning"}));
  clock_.set(kFriday0900 + 10 * kHour + kMinute);
  sweep();
  EXPECT_EQ(eventKinds(sla(id), "department"),
            (std::vector<std::string>{"started", "warning", "breached"}));
  // The reply ends it, missed; a new dispatch starts a new deadline.
  ASSERT_TRUE(act(id, Action::kDepartmentReply, {.reply = "已更换设备"}).isOk());
  EXPECT_TRUE(clock(sla(id), "department", "missed"));
  ASSERT_TRUE(act(id, Action::kDispatch, {.department = "账务部",
                                          .department_due_at = clock_.nowMillis() + kHour})
                  .isOk());
  ASSERT_TRUE(act(id, Action::kDepartmentReply, {.reply = "已退款"}).isOk());
  EXPECT_TRUE(clock(sla(id), "department", "met"));
  // The department's deadline is part of the order's nearest due time until then.
  ASSERT_TRUE(act(id, Action::kDispatch, {.department = "维修部",
                                          .department_due_at = clock_.nowMillis() + 30 * kMinute})
                  .isOk());
  auto got = store_->read([&](store::Session& ss) -> Status {
    TING_ASSIGN_OR_RETURN(WorkOrder o, getWorkOrder(ss, a_, id));
    EXPECT_EQ(o.sla_due_at, clock_.nowMillis() + 30 * kMinute);
    return Status::ok();
  });
  EXPECT_TRUE(got.isOk()) << got.message();
  ASSERT_TRUE(act(id, Action::kResolve, {.resolution = "done"}).isOk());
  EXPECT_TRUE(clock(sla(id), "department", "met"));
}

TEST_P(WorkOrdersTest, SlaCountsBusinessHoursPausesAndBreaches) {
  auto cal = calendar(R"({"time_zone": "Asia/Shanghai",
      "weekly": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"],
                 "thu": ["09:00-18:00"], "fri": ["09:00-18:00"]},
      "holidays": ["2026-11-23"]})");
  ASSERT_TRUE(cal.isOk()) << cal.status().message();
  auto p = policy(R"({"name": "complaints", "type": "complaint", "calendar_id": )" +
                  std::to_string(*cal) +
                  R"(, "first_response_minutes": 60, "resolution_minutes": 960,
                  "next_update_minutes": 240, "warn_percent": 75,
                  "escalations": [{"after_minutes": 0, "action": "notify", "role": "team_lead"},
                                  {"after_minutes": 30, "action": "reassign", "user_id": )" +
                  std::to_string(lead_) + "}]}");
  ASSERT_TRUE(p.isOk()) << p.status().message();

  // Friday 17:00 local: 16 business hours run Friday 17-18, then Tuesday
  // (Monday the 23rd is a holiday) 09-18, Wednesday 09-15.
  clock_.set(kFriday0900 + 8 * kHour);
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  EXPECT_EQ(w->sla_policy_id, p->id);
  auto s = sla(w->id);
  const UnixMillis tuesday0900 = kFriday0900 + 4 * kDay;
  const auto* resolution = clock(s, "resolution");
  ASSERT_TRUE(resolution);
  EXPECT_EQ(resolution->at("due_at"), formatTimestamp(tuesday0900 + kDay + 6 * kHour).c_str());
  const auto* first = clock(s, "first_response");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->at("due_at"), formatTimestamp(kFriday0900 + 9 * kHour).c_str());
  EXPECT_EQ(first->at("warn_at"), formatTimestamp(kFriday0900 + 8 * kHour + 45 * kMinute).c_str());

  // Warning at 75%, breach at 100%, escalation levels in turn.
  clock_.set(kFriday0900 + 8 * kHour + 44 * kMinute);
  EXPECT_EQ(sweep(), 0);
  clock_.set(kFriday0900 + 8 * kHour + 46 * kMinute);
  EXPECT_EQ(sweep(), 1);
  EXPECT_EQ(eventKinds(sla(w->id), "first_response"),
            (std::vector<std::string>{"started", "warning"}));
  clock_.set(kFriday0900 + 9 * kHour + 1 * kMinute);
  EXPECT_EQ(sweep(), 1);
  s = sla(w->id);
  EXPECT_EQ(eventKinds(s, "first_response"),
            (std::vector<std::string>{"started", "warning", "breached"}));
  Result<WorkOrder> now =
      write(a_, 0, [&](store::Tx& tx) { return getWorkOrder(tx.session(), a_, w->id); });
  ASSERT_TRUE(now.isOk());
  EXPECT_TRUE(now->sla_breached);
  EXPECT_EQ(now->escalation_level, 1);
  EXPECT_EQ(now->owner_id, agent_);
  clock_.set(kFriday0900 + 9 * kHour + 31 * kMinute);
  EXPECT_EQ(sweep(), 1);
  now = write(a_, 0, [&](store::Tx& tx) { return getWorkOrder(tx.session(), a_, w->id); });
  EXPECT_EQ(now->escalation_level, 2);
  EXPECT_EQ(now->owner_id, lead_) << "the second level reassigns to the team lead";
  EXPECT_EQ(sweep(), 0) << "nothing left to do for this clock";

  // Accepted late: the first-response clock ends missed; next update starts.
  auto acc = act(w->id, Action::kAccept, {.promised_reply_at = tuesday0900});
  ASSERT_TRUE(acc.isOk()) << acc.status().message();
  s = sla(w->id);
  ASSERT_TRUE(clock(s, "first_response"));
  EXPECT_EQ(clock(s, "first_response")->at("status"), "missed");
  ASSERT_TRUE(clock(s, "next_update", "running"));

  // Waiting on the customer from Friday 18:31 (after hours) to Tuesday 10:00:
  // the resolution clock keeps its 15 business hours left.
  const auto due_before = std::string(clock(s, "resolution")->at("due_at").as_string());
  auto wait =
      write(a_, agent_, [&](store::Tx& tx) { return setWaitingOnCustomer(tx, w->id, true); });
  ASSERT_TRUE(wait.isOk()) << wait.status().message();
  EXPECT_EQ(wait->sla_due_at, std::nullopt) << "no clock runs while waiting";
  clock_.set(tuesday0900 + kHour);
  auto resume =
      write(a_, agent_, [&](store::Tx& tx) { return setWaitingOnCustomer(tx, w->id, false); });
  ASSERT_TRUE(resume.isOk());
  s = sla(w->id);
  // Paused outside hours, resumed an hour into Tuesday: the due time moved one
  // business hour later.
  EXPECT_EQ(clock(s, "resolution")->at("due_at"),
            formatTimestamp(tuesday0900 + kDay + 7 * kHour).c_str())
      << "was " << due_before;
  EXPECT_EQ(eventKinds(s, "resolution"),
            (std::vector<std::string>{"started", "paused", "resumed"}));
}

TEST_P(WorkOrdersTest, RaisingThePriorityRechoosesThePolicyFromTheOriginalStart) {
  // Wall-clock policies: urgent complaints first (position 1), then the rest.
  auto urgent = policy(R"({"name": "urgent", "type": "complaint", "priority": "urgent",
      "position": 1, "first_response_minutes": 30, "resolution_minutes": 240})");
  ASSERT_TRUE(urgent.isOk()) << urgent.status().message();
  auto normal = policy(R"({"name": "normal", "type": "complaint", "position": 2,
      "first_response_minutes": 120, "resolution_minutes": 2880})");
  ASSERT_TRUE(normal.isOk()) << normal.status().message();
  clock_.set(kFriday0900);
  auto w = create({});
  ASSERT_TRUE(w.isOk()) << w.status().message();
  EXPECT_EQ(w->sla_policy_id, normal->id);

  // Twenty minutes in, the agent raises it to urgent: the urgent targets
  // count from 09:00, not from now.
  clock_.set(kFriday0900 + 20 * kMinute);
  WorkOrderFields raise;
  raise.priority = "urgent";
  auto up = write(a_, agent_, [&](store::Tx& tx) { return updateWorkOrder(tx, w->id, raise); });
  ASSERT_TRUE(up.isOk()) << up.status().message();
  EXPECT_EQ(up->sla_policy_id, urgent->id);
  EXPECT_EQ(up->sla_due_at, kFriday0900 + 30 * kMinute);
  auto s = sla(w->id);
  ASSERT_TRUE(clock(s, "first_response", "running"));
  EXPECT_EQ(clock(s, "first_response", "running")->at("due_at"),
            formatTimestamp(kFriday0900 + 30 * kMinute).c_str());
  EXPECT_EQ(clock(s, "resolution", "running")->at("due_at"),
            formatTimestamp(kFriday0900 + 4 * kHour).c_str());
  EXPECT_EQ(eventKinds(s, "first_response"),
            (std::vector<std::string>{"started", "cancelled", "started"}));
  EXPECT_EQ(eventKinds(s, "policy"), (std::vector<std::string>{"policy_changed"}));
  // The reloaded work order says the same.
  auto again = write(a_, 0, [&](store::Tx& tx) { return getWorkOrder(tx.session(), a_, w->id); });
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->sla_policy_id, urgent->id);

  // Past 09:30 the sweep finds the urgent first response breached.
  clock_.set(kFriday0900 + 31 * kMinute);
  EXPECT_GE(sweep(), 1);
  EXPECT_EQ(eventKinds(sla(w->id), "first_response").back(), "breached");

  // A change that keeps the policy restarts nothing.
  WorkOrderFields subject;
  subject.subject = "Billed twice, twice";
  ASSERT_TRUE(
      write(a_, agent_, [&](store::Tx& tx) { return updateWorkOrder(tx, w->id, subject); }).isOk());
  EXPECT_EQ(eventKinds(sla(w->id), "policy"), (std::vector<std::string>{"policy_changed"}));
}

TEST_P(WorkOrdersTest, RegulatoryDeadlineExtendsOnceThenWithApproval) {
  auto p = policy(R"({"name": "bank", "regulatory": {"days": 15, "extend_to_days": 30,
                     "extra_days": 30}})");
  ASSERT_TRUE(p.isOk()) << p.status().message();
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  auto s = sla(w->id);
  ASSERT_TRUE(clock(s, "regulatory"));
  EXPECT_EQ(clock(s, "regulatory")->at("due_at"), formatTimestamp(kFriday0900 + 15 * kDay).c_str());
  Status st = store_->write(actor(a_, lead_), [&](store::Tx& tx) {
    return extendRegulatory(tx, *w, "waiting for the bank's records", false);
  });
  ASSERT_TRUE(st.isOk()) << st.message();
  EXPECT_EQ(clock(sla(w->id), "regulatory")->at("due_at"),
            formatTimestamp(kFriday0900 + 30 * kDay).c_str());
  st = store_->write(actor(a_, lead_),
                     [&](store::Tx& tx) { return extendRegulatory(tx, *w, "more", false); });
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.reason(), "approval_required");
  st = store_->write(actor(a_, lead_), [&](store::Tx& tx) {
    return extendRegulatory(tx, *w, "approved by the supervisor", true);
  });
  ASSERT_TRUE(st.isOk());
  EXPECT_EQ(clock(sla(w->id), "regulatory")->at("due_at"),
            formatTimestamp(kFriday0900 + 60 * kDay).c_str());
  EXPECT_EQ(eventKinds(sla(w->id), "regulatory"),
            (std::vector<std::string>{"started", "extended", "extended"}));
  // Waiting on the customer does not stop the regulator's clock.
  ASSERT_TRUE(write(a_, agent_, [&](store::Tx& tx) {
                return setWaitingOnCustomer(tx, w->id, true);
              }).isOk());
  EXPECT_EQ(clock(sla(w->id), "regulatory")->at("status"), "running");
}

TEST_P(WorkOrdersTest, ABreachedRegulatoryDeadlineEscalates) {
  auto p = policy(R"({"name": "bank", "regulatory": {"days": 15},
                     "escalations": [{"after_minutes": 0, "action": "notify", "role": "supervisor"},
                                     {"after_minutes": 60, "action": "notify", "role": "admin"}]})");
  ASSERT_TRUE(p.isOk()) << p.status().message();
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  clock_.set(kFriday0900 + 15 * kDay + kMinute);
  sweep();
  EXPECT_EQ(eventKinds(sla(w->id), "regulatory"),
            (std::vector<std::string>{"started", "breached"}));
  EXPECT_EQ(eventKinds(sla(w->id), "").back(), "escalated");
  clock_.set(kFriday0900 + 15 * kDay + 61 * kMinute);
  sweep();
  auto got = store_->read([&](store::Session& ss) -> Status {
    TING_ASSIGN_OR_RETURN(WorkOrder o, getWorkOrder(ss, a_, w->id));
    EXPECT_EQ(o.escalation_level, 2);
    return Status::ok();
  });
  EXPECT_TRUE(got.isOk()) << got.message();
}

TEST_P(WorkOrdersTest, OtherTenantsSeeNothing) {
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  auto r = write(b_, 0, [&](store::Tx& tx) {
    return applyAction(tx, w->id, Action::kAccept, {.promised_reply_at = kFriday0900 + kHour},
                       Role::kAdmin);
  });
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  Status s = store_->read([&](store::Session& s) -> Status {
    auto got = getWorkOrder(s, b_, w->id);
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
    auto n = countWorkOrders(s, b_, {});
    EXPECT_EQ(*n, 0);
    auto na = countWorkOrders(s, a_, {.open_only = true});
    EXPECT_EQ(*na, 1);
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk());
}

TEST_P(WorkOrdersTest, NotesKeepInternalApart) {
  auto w = create({});
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(write(a_, agent_, [&](store::Tx& tx) {
                return addNote(tx, w->id, "internal", "customer sounded angry; be careful");
              }).isOk());
  ASSERT_TRUE(write(a_, agent_, [&](store::Tx& tx) {
                return addNote(tx, w->id, "customer", "We are checking your bill.");
              }).isOk());
  auto bad = write(a_, agent_, [&](store::Tx& tx) { return addNote(tx, w->id, "public", "x"); });
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "visibility");
  Status s = store_->read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(auto all, listNotes(s, a_, w->id, true));
    TING_ASSIGN_OR_RETURN(auto told, listNotes(s, a_, w->id, false));
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(told.size(), 1u);
    if (!told.empty()) EXPECT_EQ(told[0].body, "We are checking your bill.");
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk());
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkOrdersTest,
                         ::testing::Values(store::Dialect::kSqlite, store::Dialect::kPostgres),
                         [](const auto& info) {
                           return info.param == store::Dialect::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace ting::workorders
