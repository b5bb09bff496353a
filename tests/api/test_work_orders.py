"""Complaint work orders through the API: readable references, the lifecycle
with its side effects, approvals of remedies above a role's limit, SLA clocks
from the demo tenant's policies and calendar, notes kept internal or told to
the customer, saved views and counts, display names, and tenant isolation."""

import datetime
import re

import tingtest as T


def later(hours):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def create(shared, token, **fields):
    body = {"subject": T.uniq("投诉 Complaint ")}
    body.update(fields)
    return T.expect(shared.api("POST", "/api/v1/work-orders", token=token, json=body), 201)


def act(shared, token, wid, action, status=200, **fields):
    body = {"action": action}
    body.update(fields)
    return T.expect(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=token,
                               json=body), status)


def category(shared, token, name_en):
    cats = T.expect(shared.api("GET", "/api/v1/work-order-categories", token=token), 200)["items"]
    return next(c for c in cats if c["name_en"] == name_en)


def test_reference_fields_and_demo_sla(shared, tok, demo_ids):
    agent = tok("agent")
    vip = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=agent,
                              query={"number": "13800138000"}), 200)["items"][0]
    assert vip["vip_level"] >= 1
    billed = category(shared, agent, "Charged twice")
    w = create(shared, agent, customer_id=vip["id"], category_id=billed["id"],
               complainant_type="matter_of_fact", priority="high",
               desired_remedy="退还重复扣费 Refund the second charge",
               description="Charged twice for November")
    assert re.fullmatch(r"C\d{8}-\d{4}", w["reference"]), w
    assert w["state"] == "new" and w["state_name"] == {"zh": "新建", "en": "New"}, w
    assert w["owner_id"] == demo_ids["users"]["1001"]["id"], w
    # Found by the reference the customer reads out.
    got = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['reference']}", token=agent), 200)
    assert got["id"] == w["id"]
    # A VIP complaint gets the VIP policy: first response, resolution running.
    sla = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['id']}/sla", token=agent), 200)
    policies = T.expect(shared.api("GET", "/api/v1/sla-policies", token=tok("admin")), 200)
    vip_policy = next(p for p in policies["items"] if p["min_vip_level"] == 1)
    assert sla["policy_id"] == vip_policy["id"], sla
    kinds = {c["kind"]: c for c in sla["clocks"]}
    assert set(kinds) == {"first_response", "resolution"}, sla
    assert kinds["first_response"]["target_minutes"] == 30
    assert all(c["status"] == "running" for c in kinds.values())
    assert w["sla_due_at"] == kinds["first_response"]["due_at"], (w, kinds)
    # Bad fields are named.
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=agent,
                              json={"subject": "x", "type": "rant"}), 422, field="type")
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=agent,
                              json={"subject": "x", "category_id": 999999}), 422,
                   field="category_id")
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=agent,
                              json={"subject": "x", "promised_reply_at": "tomorrow"}), 400,
                   field="promised_reply_at")
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=agent,
                              json={"subject": "x", "colour": "red"}), 400, field="colour")
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=tok("qa_inspector"),
                              json={"subject": "x"}), 403)


def test_lifecycle_with_approval_follow_up_and_history(shared, tok):
    agent, lead = tok("agent"), tok("team_lead")
    customer = T.create_customer(shared, agent, name="跟进 Follow-up", phone="13522223333")
    w = create(shared, agent, customer_id=customer["id"])
    wid = w["id"]
    # The screen pop shows what is still open for the caller.
    pop = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=agent,
                              query={"number": "+8613522223333"}), 200)
    assert pop["match"] == "one", pop
    assert [o["reference"] for o in pop["items"][0]["open_work_orders"]] == [w["reference"]], pop
    assert pop["items"][0]["recent_calls"] == [], pop  # this customer never called
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=agent,
                              json={"action": "investigate"}), 409)
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=agent,
                              json={"action": "accept"}), 422, field="promised_reply_at")
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=agent,
                              json={"action": "fly"}), 422, field="action")
    w = act(shared, agent, wid, "accept", promised_reply_at=later(24))
    assert w["state"] == "accepted" and w["promised_reply_at"], w
    act(shared, agent, wid, "investigate")
    # 800 yuan is above an agent's 200: it waits for a team lead.
    w = act(shared, agent, wid, "propose", solution="Refund 800", compensation_cents=80000)
    props = T.expect(shared.api("GET", f"/api/v1/work-orders/{wid}/proposals", token=agent),
                     200)["items"]
    assert props[-1]["status"] == "pending_approval", props
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=agent,
                              json={"action": "customer_accept"}), 409)
    pending = T.expect(shared.api("GET", "/api/v1/approvals", token=lead,
                                  query={"work_order_id": str(wid)}), 200)["items"]
    assert len(pending) == 1 and pending[0]["required_role"] == "team_lead", pending
    assert pending[0]["amount_cents"] == 80000
    aid = pending[0]["id"]
    T.assert_error(shared.api("POST", f"/api/v1/approvals/{aid}/decision", token=agent,
                              json={"approve": True}), 403)
    decided = T.expect(shared.api("POST", f"/api/v1/approvals/{aid}/decision", token=lead,
                                  json={"approve": True, "reason": "long-standing customer"}),
                       200)
    assert decided["status"] == "approved", decided
    T.assert_error(shared.api("POST", f"/api/v1/approvals/{aid}/decision", token=lead,
                              json={"approve": False, "reason": "changed my mind"}), 409)
    act(shared, agent, wid, "customer_accept")
    act(shared, agent, wid, "dispatch", department="billing", department_due_at=later(8))
    act(shared, agent, wid, "department_reply", reply="refund issued")
    w = act(shared, agent, wid, "resolve", resolution="Refund of 800 issued")
    assert w["state"] == "resolved" and w["resolved_at"], w
    w = act(shared, agent, wid, "start_follow_up")
    assert w["state"] == "follow_up"
    cbs = T.expect(shared.api("GET", "/api/v1/callbacks", token=agent,
                              query={"number": "13522223333"}), 200)["items"]
    assert cbs and cbs[0]["source"] == "follow_up", cbs
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{wid}/actions", token=agent,
                              json={"action": "follow_up_result", "result": "ok",
                                    "satisfaction": 6}), 422, field="satisfaction")
    w = act(shared, agent, wid, "follow_up_result", result="satisfied", satisfaction=5,
            comment="quick")
    assert w["state"] == "closed" and w["close_reason"] == "resolved", w
    assert w["satisfaction"] == 5
    pop = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=agent,
                              query={"number": "13522223333"}), 200)
    assert pop["items"][0]["open_work_orders"] == [], pop
    timeline = T.expect(shared.api("GET", f"/api/v1/customers/{customer['id']}/timeline",
                                   token=agent), 200)["items"]
    orders = [e for e in timeline if e["type"] == "work_order"]
    assert [(o["reference"], o["state"], o["satisfaction"]) for o in orders] == [
        (w["reference"], "closed", 5)], timeline
    follow = [e for e in timeline if e["type"] == "callback"]
    assert follow and follow[0]["source"] == "follow_up" and follow[0]["work_order_id"] == wid
    hist = T.expect(shared.api("GET", f"/api/v1/work-orders/{wid}/history", token=agent),
                    200)["items"]
    actions = [h["action"] for h in hist]
    assert actions == ["create", "accept", "investigate", "propose", "approval_approved",
                       "customer_accept", "dispatch", "department_reply", "resolve",
                       "start_follow_up", "follow_up_result"], actions
    accept = hist[1]
    assert accept["actor"] == "1001" and accept["changes"]["state"] == ["new", "accepted"], accept
    sla = T.expect(shared.api("GET", f"/api/v1/work-orders/{wid}/sla", token=agent), 200)
    statuses = {c["kind"]: c["status"] for c in sla["clocks"]}
    assert statuses.get("first_response") == "met" and statuses.get("resolution") == "met", sla
    # Audited.
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=tok("admin"),
                                query={"entity": "work_order", "entity_id": str(wid)}), 200)
    assert {"create", "accept", "resolve"} <= {a["action"] for a in audit["items"]}, audit


def test_waiting_on_customer_pauses_clocks(shared, tok):
    agent = tok("agent")
    w = create(shared, agent)
    w = T.expect(shared.api("PUT", f"/api/v1/work-orders/{w['id']}/waiting", token=agent,
                            json={"waiting": True}), 200)
    assert w["waiting_on_customer"] and w["state"] == "new" and w["sla_due_at"] is None, w
    sla = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['id']}/sla", token=agent), 200)
    assert {c["status"] for c in sla["clocks"]} == {"paused"}, sla
    w = T.expect(shared.api("PUT", f"/api/v1/work-orders/{w['id']}/waiting", token=agent,
                            json={"waiting": False}), 200)
    assert not w["waiting_on_customer"] and w["sla_due_at"], w
    sla = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['id']}/sla", token=agent), 200)
    kinds = [e["kind"] for e in sla["events"] if e["clock"] == "resolution"]
    assert kinds == ["started", "paused", "resumed"], sla


def test_notes_views_counts_and_duplicates(shared, tok, demo_ids):
    agent, lead = tok("agent"), tok("team_lead")
    customer = T.create_customer(shared, agent, name="重复 Repeat", phone="13544445555")
    cat = category(shared, agent, "Broadband fault")
    first = create(shared, agent, customer_id=customer["id"], category_id=cat["id"])
    again = create(shared, agent, customer_id=customer["id"], category_id=cat["id"])
    assert again["repeat"] and again["repeat_of"] == first["id"], again
    repeats = T.expect(shared.api("GET", "/api/v1/work-orders", token=lead,
                                  query={"view": "repeats_week"}), 200)["items"]
    assert again["id"] in [x["id"] for x in repeats]
    assert first["id"] not in [x["id"] for x in repeats]
    mine = T.expect(shared.api("GET", "/api/v1/work-orders", token=agent,
                               query={"view": "my_open", "limit": "200"}), 200)["items"]
    assert {first["id"], again["id"]} <= {x["id"] for x in mine}
    assert all(x["owner_id"] == demo_ids["users"]["1001"]["id"] for x in mine)
    count = T.expect(shared.api("GET", "/api/v1/work-orders/count", token=lead,
                                query={"customer_id": str(customer["id"])}), 200)
    assert count["count"] == 2, count
    soon = T.expect(shared.api("GET", "/api/v1/work-orders", token=lead,
                               query={"view": "breaching_2h", "limit": "200"}), 200)["items"]
    assert all(x["sla_due_at"] and x["state"] != "closed" for x in soon), soon
    T.assert_error(shared.api("GET", "/api/v1/work-orders", token=lead,
                              query={"view": "everything"}), 400, field="view")
    nobody = T.expect(shared.api("PATCH", f"/api/v1/work-orders/{first['id']}", token=lead,
                                 json={"owner_id": None}), 200)
    assert nobody["owner_id"] is None, nobody
    unassigned = T.expect(shared.api("GET", "/api/v1/work-orders", token=lead,
                                     query={"view": "unassigned", "limit": "200"}), 200)["items"]
    assert first["id"] in [x["id"] for x in unassigned]
    assert all(x["owner_id"] is None for x in unassigned), unassigned
    # The second is the same matter: closed as its duplicate.
    dup = act(shared, agent, again["id"], "close_duplicate", duplicate_of=first["id"])
    assert dup["close_reason"] == "duplicate" and dup["duplicate_of"] == first["id"]
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{again['id']}/actions", token=agent,
                              json={"action": "reopen", "reason": "x"}), 409)
    # Notes: internal and what the customer was told.
    T.expect(shared.api("POST", f"/api/v1/work-orders/{first['id']}/notes", token=agent,
                        json={"body": "line test pending"}), 201)
    told = T.expect(shared.api("POST", f"/api/v1/work-orders/{first['id']}/notes", token=agent,
                               json={"body": "技术人员明天上门 A technician visits tomorrow",
                                     "visibility": "customer"}), 201)
    assert told["visibility"] == "customer"
    notes = T.expect(shared.api("GET", f"/api/v1/work-orders/{first['id']}/notes", token=agent),
                     200)["items"]
    assert [n["visibility"] for n in notes] == ["internal", "customer"], notes
    # The customer's timeline carries both, newest first, with the reference.
    timeline = T.expect(shared.api("GET", f"/api/v1/customers/{customer['id']}/timeline",
                                   token=agent), 200)["items"]
    noted = [(e["visibility"], e["reference"], e["body"]) for e in timeline
             if e["type"] == "note"]
    assert noted == [("customer", first["reference"], told["body"]),
                     ("internal", first["reference"], "line test pending")], timeline
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{first['id']}/notes", token=agent,
                              json={"body": "x", "visibility": "public"}), 422,
                   field="visibility")


def test_on_the_spot_and_unresolved_close_then_reopen(shared, tok):
    agent = tok("agent")
    w = create(shared, agent, type="inquiry")
    assert w["reference"].startswith("Q"), w
    w = act(shared, agent, w["id"], "resolve_on_spot", resolution="explained the tariff")
    assert w["on_the_spot"] and w["state"] == "resolved"
    w = act(shared, agent, w["id"], "close")
    assert w["close_reason"] == "resolved"
    c = create(shared, agent)
    act(shared, agent, c["id"], "accept", promised_reply_at=later(2))
    act(shared, agent, c["id"], "investigate")
    c = act(shared, agent, c["id"], "close_unresolved", reason="rejects the final offer",
            external_routes="12315 consumer hotline")
    assert c["close_reason"] == "unresolved" and c["external_routes"], c
    c = act(shared, agent, c["id"], "reopen", reason="new evidence")
    assert c["state"] == "investigating" and c["rehandled"] == 1, c
    # Stale version: 409.
    T.assert_error(shared.api("PATCH", f"/api/v1/work-orders/{c['id']}", token=agent,
                              json={"priority": "urgent", "version": c["version"] - 1}), 409)
    c2 = T.expect(shared.api("PATCH", f"/api/v1/work-orders/{c['id']}", token=agent,
                             json={"priority": "urgent", "version": c["version"]}), 200)
    assert c2["priority"] == "urgent" and c2["version"] == c["version"] + 1


def test_settings_rename_states_and_admin_config_errors(shared, tok):
    admin, agent = tok("admin"), tok("agent")
    s = T.expect(shared.api("PATCH", "/api/v1/work-order-settings", token=admin,
                            json={"state_names": {"accepted": {"zh": "已接单", "en": "Taken"}}}),
                 200)
    assert s["state_names"]["accepted"] == {"zh": "已接单", "en": "Taken"}
    assert s["state_names"]["new"]["en"] == "New"
    w = create(shared, agent)
    w = act(shared, agent, w["id"], "accept", promised_reply_at=later(3))
    assert w["state"] == "accepted" and w["state_name"]["en"] == "Taken", w
    T.expect(shared.api("PATCH", "/api/v1/work-order-settings", token=admin,
                        json={"state_names": {"accepted": {"zh": "已受理", "en": "Accepted"}}}),
             200)
    T.assert_error(shared.api("PATCH", "/api/v1/work-order-settings", token=admin,
                              json={"state_names": {"open": {"en": "Open"}}}), 422,
                   field="state_names.open")
    T.assert_error(shared.api("PATCH", "/api/v1/work-order-settings", token=admin,
                              json={"time_zone": "Mars/Base"}), 422, field="time_zone")
    T.assert_error(shared.api("PATCH", "/api/v1/work-order-settings", token=agent,
                              json={"reopen_window_days": 3}), 403)
    T.assert_error(shared.api("POST", "/api/v1/business-calendars", token=admin,
                              json={"name": "bad", "weekly": {"mon": ["18:00-09:00"]}}), 422,
                   field="weekly.mon[0]")
    cal = T.expect(shared.api("POST", "/api/v1/business-calendars", token=admin,
                              json={"name": T.uniq("cal"), "time_zone": "Europe/London",
                                    "weekly": {"mon": ["08:00-16:00"]}}), 201)
    assert cal["time_zone"] == "Europe/London"
    T.assert_error(shared.api("POST", "/api/v1/sla-policies", token=admin,
                              json={"name": "bad", "escalations": [{"action": "reassign"}]}),
                   422, field="escalations[0].user_id")
    T.assert_error(shared.api("POST", "/api/v1/sla-policies", token=admin,
                              json={"name": "bad", "calendar_id": 999999}), 422,
                   field="calendar_id")
    p = T.expect(shared.api("POST", "/api/v1/sla-policies", token=admin,
                            json={"name": T.uniq("p"), "position": 999, "active": False,
                                  "calendar_id": cal["id"], "resolution_minutes": 60}), 201)
    T.assert_error(shared.api("DELETE", f"/api/v1/business-calendars/{cal['id']}", token=admin),
                   409)
    T.expect(shared.api("DELETE", f"/api/v1/sla-policies/{p['id']}", token=admin), 204)
    T.expect(shared.api("DELETE", f"/api/v1/business-calendars/{cal['id']}", token=admin), 204)
    table = T.expect(shared.api("GET", "/api/v1/work-orders/transitions", token=agent),
                     200)["items"]
    accept = next(r for r in table if r["action"] == "accept")
    assert accept["from"] == ["new"] and accept["to"] == "accepted"
    assert accept["required"] == ["promised_reply_at"]


def test_other_tenants_work_orders_are_invisible(shared, tok, acme):
    agent = tok("agent")
    w = create(shared, agent)
    other = acme["admin_token"]
    T.assert_error(shared.api("GET", f"/api/v1/work-orders/{w['id']}", token=other), 404)
    T.assert_error(shared.api("GET", f"/api/v1/work-orders/{w['reference']}", token=other), 404)
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{w['id']}/actions", token=other,
                              json={"action": "accept", "promised_reply_at": later(1)}), 404)
    T.assert_error(shared.api("GET", f"/api/v1/work-orders/{w['id']}/history", token=other), 404)
    listed = T.expect(shared.api("GET", "/api/v1/work-orders", token=other), 200)["items"]
    assert w["id"] not in [x["id"] for x in listed]
    # Another tenant's customer cannot be attached.
    T.assert_error(shared.api("POST", "/api/v1/work-orders", token=agent,
                              json={"subject": "x", "customer_id": acme["customer"]["id"]}), 422,
                   field="customer_id")
    mine = create(shared, other)
    assert mine["reference"].endswith("-0001") or re.fullmatch(r"C\d{8}-\d{4}", mine["reference"])


def test_department_staff_see_and_answer_only_their_department(shared, tok):
    admin, agent = tok("admin"), tok("agent")
    staff = T.create_user(shared, admin, "department")
    staff = T.expect(shared.api("PATCH", f"/api/v1/users/{staff['id']}", token=admin,
                                json={"department": "billing"}), 200)
    assert staff["department"] == "billing", staff
    dept = shared.login("demo", staff["username"], T.OTHER_PASSWORD)
    ours = create(shared, agent)
    theirs = create(shared, agent)
    for w, department in ((ours, "billing"), (theirs, "network")):
        act(shared, agent, w["id"], "accept", promised_reply_at=later(24))
        act(shared, agent, w["id"], "investigate")
        act(shared, agent, w["id"], "dispatch", department=department)
    listed = T.expect(shared.api("GET", "/api/v1/work-orders", token=dept,
                                 query={"limit": "200"}), 200)["items"]
    assert ours["id"] in [x["id"] for x in listed]
    assert all(x["department"] == "billing" for x in listed), listed
    T.assert_error(shared.api("GET", f"/api/v1/work-orders/{theirs['id']}", token=dept), 404)
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{theirs['id']}/actions", token=dept,
                              json={"action": "department_reply", "reply": "x"}), 404)
    # Internal notes stay with the front line.
    T.expect(shared.api("POST", f"/api/v1/work-orders/{ours['id']}/notes", token=agent,
                        json={"body": "customer is a journalist"}), 201)
    notes = T.expect(shared.api("GET", f"/api/v1/work-orders/{ours['id']}/notes", token=dept),
                     200)["items"]
    assert all(n["visibility"] == "customer" for n in notes), notes
    T.assert_error(shared.api("POST", f"/api/v1/work-orders/{ours['id']}/actions", token=dept,
                              json={"action": "resolve", "resolution": "x"}), 403)
    w = act(shared, dept, ours["id"], "department_reply", reply="退款已处理 refund issued")
    assert w["department_reply"] == "退款已处理 refund issued" and w["state"] == "dispatched", w
    w = act(shared, dept, ours["id"], "return", reason="needs the contract number")
    assert w["state"] == "investigating" and w["rehandled"] == 1, w


def test_saved_views_are_the_lists_filters_under_a_name(shared, tok):
    agent, lead, other = tok("agent"), tok("team_lead"), tok("supervisor")
    customer = T.create_customer(shared, agent, name="视图 Views", phone="13566667777")
    urgent = create(shared, agent, customer_id=customer["id"], priority="urgent")
    create(shared, agent, customer_id=customer["id"], priority="low")
    mine = T.expect(shared.api("POST", "/api/v1/work-order-views", token=agent,
                               json={"name": "我的紧急投诉", "filters": {
                                   "open": "true", "priority": "urgent",
                                   "customer_id": str(customer["id"])}}), 201)
    assert mine["shared"] is False and mine["owner"] == "1001", mine
    got = T.expect(shared.api("GET", "/api/v1/work-orders", token=agent,
                              query={"saved_view": str(mine["id"])}), 200)["items"]
    assert [w["id"] for w in got] == [urgent["id"]], got
    count = T.expect(shared.api("GET", "/api/v1/work-orders/count", token=agent,
                                query={"saved_view": str(mine["id"])}), 200)
    assert count["count"] == 1, count
    # The request's own filters win over the view's.
    low = T.expect(shared.api("GET", "/api/v1/work-orders/count", token=agent,
                              query={"saved_view": str(mine["id"]), "priority": "low"}), 200)
    assert low["count"] == 1, low
    # Private to its owner: others neither list nor open it.
    views = T.expect(shared.api("GET", "/api/v1/work-order-views", token=other), 200)
    assert "my_open" in views["builtin"] and mine["id"] not in [v["id"] for v in views["items"]]
    T.assert_error(shared.api("GET", "/api/v1/work-orders", token=other,
                              query={"saved_view": str(mine["id"])}), 400, field="saved_view")
    T.assert_error(shared.api("PATCH", f"/api/v1/work-order-views/{mine['id']}", token=other,
                              json={"name": "x"}), 404)
    # Filters are checked as the list checks them; agents do not share.
    T.assert_error(shared.api("POST", "/api/v1/work-order-views", token=agent,
                              json={"name": "bad", "filters": {"priority": "urgent",
                                                               "state": "sleeping"}}),
                   422, field="filters.state")
    T.assert_error(shared.api("POST", "/api/v1/work-order-views", token=agent,
                              json={"name": "bad", "filters": {"colour": "red"}}),
                   422, field="filters.colour")
    T.assert_error(shared.api("PATCH", f"/api/v1/work-order-views/{mine['id']}", token=agent,
                              json={"shared": True}), 403)
    # A team lead shares one with everyone; only its owner (or an admin) changes it.
    team = T.expect(shared.api("POST", "/api/v1/work-order-views", token=lead,
                               json={"name": T.uniq("班组 "), "filters": {"view": "breached"},
                                     "shared": True}), 201)
    seen = T.expect(shared.api("GET", "/api/v1/work-order-views", token=agent), 200)["items"]
    assert team["id"] in [v["id"] for v in seen], seen
    T.expect(shared.api("GET", "/api/v1/work-orders", token=agent,
                        query={"saved_view": str(team["id"])}), 200)
    T.assert_error(shared.api("DELETE", f"/api/v1/work-order-views/{team['id']}", token=agent),
                   403)
    renamed = T.expect(shared.api("PATCH", f"/api/v1/work-order-views/{mine['id']}",
                                  token=agent, json={"name": "紧急"}), 200)
    assert renamed["name"] == "紧急" and renamed["filters"]["priority"] == "urgent", renamed
    T.expect(shared.api("DELETE", f"/api/v1/work-order-views/{mine['id']}", token=agent), 204)
    T.expect(shared.api("DELETE", f"/api/v1/work-order-views/{team['id']}", token=tok("admin")),
             204)
