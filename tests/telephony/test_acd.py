"""The ACD end to end: SIPp callers choose 1 in the demo IVR and wait in queue
`support`; baresip phones registered as agents 1001-1003 take the calls.

Checked here: agents log in and out through the API (agents only their own
state); the queue's strategy picks the agent; an unanswered offer moves on to
the next agent; the screen pop reaches the WebSocket; the call is bridged and
recorded (agent on the right channel); wrap-up holds the agent back for the
queue's time; every step is in the queue event log; a caller who waits too
long overflows to the IVR's fallback; a caller who presses the callback key
leaves a callback request."""

import tempfile
from pathlib import Path

import pytest

import audio_check
import baresip
import sipp
import test_trunks as trunks
import tingtest as T
from test_baresip import (BLOCK, CALLER_NUMBER, Events, binding_of, offset_s, read_growing_wav,
                          tone_blocks)

AGENT_HZ = 1000


def lead(srv):
    return srv.role_token("team_lead")


def admin(srv):
    return srv.role_token("admin")


def set_state(srv, token, staff_no, state, reason=None, status=200):
    body = {"state": state}
    if reason is not None:
        body["reason"] = reason
    return T.expect(srv.api("PUT", f"/api/v1/agents/{staff_no}/state", token=token, json=body),
                    status)


def state_of(srv, staff_no):
    return T.expect(srv.api("GET", f"/api/v1/agents/{staff_no}/state", token=lead(srv)), 200)


def queue_events(srv, call_id):
    body = T.expect(srv.api("GET", f"/api/v1/queue-events?call_id={call_id}&limit=100",
                            token=lead(srv)), 200)
    return [(e["event"], e["staff_no"]) for e in body["items"]]


def configure(srv, members, **settings):
    token = admin(srv)
    T.expect(srv.api("PATCH", "/api/v1/queues/support", token=token, json=settings), 200)
    T.expect(srv.api("PUT", "/api/v1/queues/support/members", token=token,
                     json={"members": [{"staff_no": m} for m in members]}), 200)


def register(srv, phones, staff_no, **kw):
    phone = phones(srv, staff_no, T.DEMO_PASSWORD, **kw).start()
    T.poll(lambda: binding_of(srv, admin(srv), phone), 15, interval=0.1,
           what=f"{staff_no} registered")
    return phone


def caller_steps(hold_ms, extra=()):
    """The greeting, 1 for support, then `extra` steps and `hold_ms` of waiting."""
    return [sipp.pause(7000), sipp.digit("1"), *extra, sipp.pause(hold_ms), sipp.bye()]


@pytest.fixture
def acd(server_factory):
    return server_factory(name="acd")


def test_agent_state_api_and_permissions(acd):
    agent = acd.token("demo", "1001")
    # Everyone starts logged out.
    assert state_of(acd, "1001")["state"] == "logged_out"
    # An agent logs themself in, takes a break with a tenant reason code, and back.
    body = set_state(acd, agent, "1001", "available")
    assert body["state"] == "available" and "support" in body["queues"], body
    T.assert_error(acd.api("PUT", "/api/v1/agents/1001/state", token=agent,
                           json={"state": "not_ready", "reason": "nap"}), 422, field="reason")
    T.assert_error(acd.api("PUT", "/api/v1/agents/1001/state", token=agent,
                           json={"state": "not_ready"}), 422, field="reason")
    T.assert_error(acd.api("PUT", "/api/v1/agents/1001/state", token=agent,
                           json={"state": "dancing"}), 422, field="state")
    body = set_state(acd, agent, "1001", "not_ready", "meal")
    assert body["state"] == "not_ready" and body["reason"] == "meal", body
    # Not someone else's.
    T.assert_error(acd.api("PUT", "/api/v1/agents/1002/state", token=agent,
                           json={"state": "available"}), 403)
    T.assert_error(acd.api("GET", "/api/v1/agents/1002/state", token=agent), 403)
    # A team lead may change anyone's; the list shows everyone.
    set_state(acd, lead(acd), "1002", "available")
    listed = {a["staff_no"]: a for a in
              T.expect(acd.api("GET", "/api/v1/agents", token=lead(acd)), 200)["items"]}
    assert listed["1001"]["state"] == "not_ready" and listed["1002"]["state"] == "available"
    assert listed["1003"]["state"] == "logged_out"
    T.assert_error(acd.api("GET", "/api/v1/agents/9999/state", token=lead(acd)), 404)
    set_state(acd, agent, "1001", "logged_out")
    assert state_of(acd, "1001")["state"] == "logged_out"
    # Every change is in the agent state log, in order.
    # (written by the records thread: wait for the third change)
    log = T.poll(lambda: (lambda items: items if len(items) >= 3 else None)(
        T.expect(acd.api("GET", "/api/v1/agent-state-log?staff_no=1001", token=lead(acd)),
                 200)["items"]), 10, what="three changes in the agent state log")
    assert [(e["from"], e["to"], e["reason"]) for e in log] == [
        ("logged_out", "available", "login"), ("available", "not_ready", "meal"),
        ("not_ready", "logged_out", "logout")], log
    T.assert_error(acd.api("GET", "/api/v1/agent-state-log", token=agent), 403)


def test_missed_offer_moves_on_then_bridge_recording_and_wrap_up(acd, phones, workroot):
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    tone = baresip.tone_wav(media / f"agent-{AGENT_HZ}.wav", AGENT_HZ, seconds=60, pad_seconds=20)
    # linear: 1001 first, then 1002. 1001's phone rings but nobody picks up.
    configure(acd, ["1001", "1002"], strategy="linear", offer_timeout_s=5, wrap_up_s=8,
              announce_interval_s=0)
    p1 = register(acd, phones, "1001", answermode="manual")
    p2 = register(acd, phones, "1002", answermode="auto", audio_source=tone)
    set_state(acd, acd.token("demo", "1001"), "1001", "available")
    set_state(acd, acd.token("demo", "1002"), "1002", "available")

    # The caller has a complaint open: the pop shows it.
    known = T.expect(acd.api("GET", "/api/v1/customers/lookup", token=lead(acd),
                             query={"number": CALLER_NUMBER}), 200)["items"][0]
    open_order = T.expect(acd.api("POST", "/api/v1/work-orders", token=lead(acd),
                                  json={"subject": "宽带故障 screen pop", "customer_id": known["id"]}),
                          201)

    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues", "agents"]))
    try:
        caller, result = T.run_in_thread(
            lambda: sipp.run(sipp.answered_call("4000", caller_steps(14000)), acd.sip_port))
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]

        # The screen pop for 1001: who calls, on which number, from which queue,
        # and the way through the IVR.
        pop = events.next("call.offered", call_id, timeout=20)
        data = pop["data"]
        assert data["staff_no"] == "1001" and data["caller"] == CALLER_NUMBER, data
        assert data["did"] == "4000" and data["queue"] == "support", data
        assert [s["node"] for s in data["ivr_path"]][-1] == "to_support", data
        assert data["wait_ms"] >= 0 and data["customer_lookup"] == CALLER_NUMBER, data
        # The CRM found the demo customer with the caller's number.
        assert data["customer_match"] == "one" and len(data["customer_ids"]) == 1, data
        # Its card: the open work orders and latest calls, ready before the phone rings.
        [pop_card] = data["customers"]
        assert pop_card["id"] == data["customer_ids"][0] == known["id"], pop_card
        assert open_order["reference"] in [w["reference"] for w in pop_card["open_work_orders"]]
        assert isinstance(pop_card["recent_calls"], list), pop_card
        card = T.expect(acd.api("GET", f"/api/v1/customers/{data['customer_ids'][0]}",
                                token=lead(acd)), 200)
        assert card["phones"][0]["e164"] == "+86" + CALLER_NUMBER, card
        incoming = p1.wait_event("CALL_INCOMING", timeout=10)
        assert incoming.get("peeruri", "").startswith(f"sip:{CALLER_NUMBER}@"), incoming
        assert state_of(acd, "1001")["state"] == "ringing"

        # No answer within 5 s: the offer moves on to 1002, who answers.
        pop2 = events.next("call.offered", call_id, timeout=15)
        assert pop2["data"]["staff_no"] == "1002", pop2
        assert offset_s(pop2, pop) >= 4.5, (pop, pop2)
        bridged = events.next("call.bridged", call_id, timeout=10)
        assert bridged["data"]["agent"] == "1002", bridged
        p1.wait_event("CALL_CLOSED", timeout=10)  # Ting cancelled the unanswered offer
        s1, s2 = state_of(acd, "1001"), state_of(acd, "1002")
        assert s1["state"] == "available", s1
        assert s2["state"] == "on_call" and s2["call_id"] == call_id, s2

        ended = events.next("call.ended", call_id, timeout=30)
        assert ended["data"]["cause"] == "caller_hangup", ended
        caller.join(30)
        assert "error" not in result, result.get("error")
        assert result["value"].code == 0, result["value"]
        p2.wait_event("CALL_CLOSED", timeout=10)
        # Wrap-up: 8 s in which 1002 gets no call, then available by itself.
        s2 = state_of(acd, "1002")
        assert s2["state"] == "wrap_up" and s2["wrap_up_ends_at"], s2
        back = events.next("agent.state", timeout=15)
        while not (back["data"]["staff_no"] == "1002" and back["data"]["state"] == "available"):
            back = events.next("agent.state", timeout=15)
        assert back["data"]["reason"] == "wrap_up_expired", back
        assert 7 <= offset_s(back, ended) <= 11, (ended, back)
    finally:
        events.ws.close()

    # The queue event log has every step.
    log = T.poll(lambda: (lambda l: l if ("completed", "1002") in l else None)(
        queue_events(acd, call_id)), 10, what="the completed event")
    assert log == [("entered", None), ("offered", "1001"), ("missed", "1001"),
                   ("offered", "1002"), ("answered", "1002"), ("completed", "1002")], log

    # The call record names the queue and agent; the recording has the agent's
    # tone on the right channel once bridged.
    call = T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=admin(acd)), 200)
    assert call["transfer_target"] == "1002", call
    # A QA inspector reviews the call without the caller's whole number.
    qa = acd.role_token("qa_inspector")
    digits = [c for c in call["from"] if c.isdigit()]
    assert len(digits) >= 8, call["from"]
    for seen in (T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=qa), 200),
                 next(c for c in T.expect(acd.api("GET", "/api/v1/calls", token=qa), 200)["items"]
                      if c["id"] == call_id)):
        masked = seen["from"]
        assert len(masked) == len(call["from"]) and "*" in masked, (masked, call["from"])
        assert masked[-4:] == call["from"][-4:] and masked != call["from"], masked
    files = list((acd.data_dir / "recordings").rglob(f"{call_id}.wav"))
    assert files, "no recording"
    # The customer's timeline has the call with its way through the IVR; the
    # recording link goes only to roles that may play it.
    for token, link in ((lead(acd), f"/api/v1/calls/{call_id}/recording"),
                        (acd.token("demo", "1002"), None)):
        timeline = T.expect(acd.api("GET", f"/api/v1/customers/{known['id']}/timeline",
                                    token=token), 200)["items"]
        [entry] = [e for e in timeline if e.get("call_id") == call_id and e["type"] == "call"]
        assert [s["node"] for s in entry["ivr_path"]][-1] == "to_support", entry
        assert entry["has_recording"] and entry["recording_url"] == link, entry
    st, _h, _b = acd.api("GET", f"/api/v1/calls/{call_id}/recording", token=lead(acd))
    assert st == 200
    _left, right = read_growing_wav(files[0])
    start = int((offset_s(bridged, started) + 1.0) * 10) * BLOCK
    window = right[start:start + 50 * BLOCK]
    share = len(tone_blocks(window, AGENT_HZ)) / max(1, len(window) // BLOCK)
    assert share >= 0.8, f"agent tone in {share:.0%} of the right channel after the bridge"


def test_overflow_after_max_wait_goes_to_the_ivr_fallback(acd):
    # Someone is logged in (so callers may join) but on a break.
    configure(acd, ["1003"], max_wait_s=10, overflow_action="fallback", announce_interval_s=0)
    set_state(acd, lead(acd), "1003", "available")
    set_state(acd, lead(acd), "1003", "not_ready", "training")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        caller, result = T.run_in_thread(
            lambda: sipp.run(sipp.answered_call("4000", caller_steps(16000)), acd.sip_port))
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        entered = events.next("queue.entered", call_id, timeout=15)
        assert entered["data"]["position"] == 1, entered
        timed_out = events.next("queue.timed_out", call_id, timeout=15)
        assert 9.5 <= offset_s(timed_out, entered) <= 12, (entered, timed_out)
        # The transfer node's fallback: the operator extension (1001, not
        # registered here), then the busy message and voicemail.
        node = events.next("call.ivr_node", call_id, timeout=10)
        assert node["data"]["node"] == "to_operator", node
        caller.join(40)
        assert "error" not in result, result.get("error")
    finally:
        events.ws.close()
    log = queue_events(acd, call_id)
    assert log[:2] == [("entered", None), ("timed_out", None)], log


def test_callback_key_leaves_a_callback_request(acd):
    configure(acd, ["1003"], callback_key="9", announce_interval_s=0)
    set_state(acd, lead(acd), "1003", "available")
    set_state(acd, lead(acd), "1003", "not_ready", "meeting")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        steps = [sipp.pause(7000), sipp.digit("1"), sipp.pause(2000), sipp.digit("9", wait=False),
                 sipp.recv_bye()]
        caller, result = T.run_in_thread(
            lambda: sipp.run(sipp.answered_call("4000", steps), acd.sip_port))
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        events.next("queue.entered", call_id, timeout=15)
        events.next("queue.callback_requested", call_id, timeout=15)
        ended = events.next("call.ended", call_id, timeout=20)
        assert ended["data"]["cause"] == "queued_callback", ended
        caller.join(30)
        assert "error" not in result, result.get("error")
        assert result["value"].code == 0, result["value"]
    finally:
        events.ws.close()
    assert queue_events(acd, call_id) == [("entered", None), ("callback_requested", None)]
    # No outbound trunk: Ting cannot dial, so the request is left open for a person.
    req = T.expect(acd.api("GET", f"/api/v1/callbacks?call_id={call_id}", token=lead(acd)),
                   200)["items"]
    assert [(r["status"], r["source"], r["number"]) for r in req] == [
        ("open", "queue:support", CALLER_NUMBER)], req
    agent = acd.token("demo", "1003")
    done = T.expect(acd.api("PATCH", f"/api/v1/callbacks/{req[0]['id']}", token=agent,
                            json={"status": "completed", "detail": "called back by hand"}), 200)
    assert done["status"] == "completed" and done["detail"] == "called back by hand", done
    T.assert_error(acd.api("PATCH", f"/api/v1/callbacks/{req[0]['id']}", token=agent,
                           json={"status": "cancelled"}), 409)
    T.assert_error(acd.api("PATCH", f"/api/v1/callbacks/{req[0]['id']}", token=agent,
                           json={"status": "done"}), 422, field="status")


def add_provider_trunk(srv, port):
    T.expect(srv.api("POST", "/api/v1/trunks", token=admin(srv), json={
        "name": "provider", "outbound_uri": f"sip:127.0.0.1:{port}",
        "username": trunks.USERNAME, "secret": trunks.SECRET, "caller_id": trunks.CALLER_ID}),
        201)


def start_provider(srv, port, xml, calls=1):
    """SIPp as the customer's network behind the tenant's trunk."""
    thread, result = T.run_in_thread(lambda: sipp.run(
        xml, srv.sip_port, service="95588", local_port=port, calls=calls, timeout_s=90,
        extra=("-trace_msg",)))
    T.poll(lambda: trunks.port_taken(port), 10, interval=0.1, what="the provider listening")
    return thread, result


def request_callback(srv, events):
    """A caller chooses support, presses 9 and is sent away; returns the
    original call's id and the queued callback's."""
    steps = [sipp.pause(7000), sipp.digit("1"), sipp.pause(1500), sipp.digit("9", wait=False),
             sipp.recv_bye()]
    caller, result = T.run_in_thread(
        lambda: sipp.run(sipp.answered_call("4000", steps), srv.sip_port))
    started = events.next("call.started", timeout=15)
    call_id = started["data"]["call_id"]
    events.next("queue.entered", call_id, timeout=15)
    events.next("queue.callback_requested", call_id, timeout=15)
    queued = events.next("queue.callback_queued", timeout=10)
    assert queued["data"]["detail"] == f"for {call_id}", queued
    ended = events.next("call.ended", call_id, timeout=20)
    assert ended["data"]["cause"] == "queued_callback", ended
    caller.join(30)
    assert "error" not in result and result["value"].code == 0, result
    return call_id, queued["data"]["call_id"], queued


def test_queued_callback_keeps_the_place_then_an_agent_calls_the_customer(acd, phones, workroot):
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    tone = baresip.tone_wav(media / f"agent-{AGENT_HZ}.wav", AGENT_HZ, seconds=60, pad_seconds=20)
    port = sipp.free_port()
    add_provider_trunk(acd, port)
    configure(acd, ["1003"], callback_key="9", announce_interval_s=0, wrap_up_s=5)
    register(acd, phones, "1003", answermode="auto", audio_source=tone)
    set_state(acd, lead(acd), "1003", "available")
    set_state(acd, lead(acd), "1003", "not_ready", "meeting")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        call_id, cb_id, queued = request_callback(acd, events)
        assert queued["data"]["position"] == 1, queued
        # The callback keeps the place: the next caller is second.
        caller, result = T.run_in_thread(lambda: sipp.run(sipp.answered_call(
            "4000", caller_steps(2000)), acd.sip_port))
        second = events.next("call.started", timeout=15)["data"]["call_id"]
        entered = events.next("queue.entered", second, timeout=15)
        assert entered["data"]["position"] == 2, entered
        events.next("call.ended", second, timeout=20)
        caller.join(30)
        assert "error" not in result and result["value"].code == 0, result
        # The callback is waiting, listed with the calls in progress.
        active = T.expect(acd.api("GET", "/api/v1/calls/active", token=lead(acd)), 200)["items"]
        assert [(c["id"], c["state"], c["to"]) for c in active] == [
            (cb_id, "callback_queued", CALLER_NUMBER)], active

        # The agent comes back: offered the callback, answers, Ting dials the
        # customer through the trunk (with the trunk's caller ID) and bridges.
        provider, presult = start_provider(acd, port, sipp.provider(
            trunks.USERNAME, trunks.SECRET, from_regexp=f"sip:{trunks.CALLER_ID}@"))
        set_state(acd, lead(acd), "1003", "available")
        pop = events.next("call.offered", cb_id, timeout=15)["data"]
        assert pop["callback"] is True and pop["callback_for"] == call_id, pop
        assert pop["caller"] == CALLER_NUMBER and pop["staff_no"] == "1003", pop
        dialing = events.next("call.callback_dialing", cb_id, timeout=15)
        assert dialing["data"]["number"] == CALLER_NUMBER and dialing["data"]["attempt"] == 1
        bridged = events.next("call.bridged", cb_id, timeout=20)
        assert bridged["data"]["agent"] == "1003", bridged
        detail = T.expect(acd.api("GET", f"/api/v1/calls/{cb_id}", token=lead(acd)), 200)
        recorded_past(acd, cb_id, 3.0)
        T.expect(acd.api("POST", f"/api/v1/calls/{cb_id}/hangup", token=lead(acd)), 204)
        ended = events.next("call.ended", cb_id, timeout=10)
        assert ended["data"]["cause"] == "api_hangup", ended
        provider.join(60)
        assert "error" not in presult and presult["value"].code == 0, presult
        assert "from matched" in presult["value"].log
    finally:
        events.ws.close()

    # The records: an outbound call placed for the original, both linked.
    call = T.expect(acd.api("GET", f"/api/v1/calls/{cb_id}", token=admin(acd)), 200)
    assert call["direction"] == "outbound" and call["parent_id"] == call_id, call
    assert call["to"] == CALLER_NUMBER and call["from"] == trunks.CALLER_ID, call
    assert call["agent"] == "1003" and call["queue"] == "support", call
    assert call["answered_at"] is not None, call
    origin = T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=admin(acd)), 200)
    assert origin["child_ids"] == [cb_id], origin
    req = T.poll(lambda: (lambda items: items if items and items[0]["status"] == "completed"
                          else None)(T.expect(acd.api(
                              "GET", f"/api/v1/callbacks?call_id={call_id}", token=lead(acd)),
                              200)["items"]), 10, what="the request completed")
    assert req[0]["attempts"] == 1 and req[0]["callback_call_id"] == cb_id, req
    log = T.poll(lambda: (lambda l: l if ("completed", "1003") in l else None)(
        queue_events(acd, cb_id)), 10, what="the completed event")
    assert log == [("callback_queued", None), ("offered", "1003"), ("answered", "1003"),
                   ("callback_dialing", "1003"), ("callback_completed", "1003"),
                   ("completed", "1003")], log
    # The recording starts when the customer answers: agent's tone on the right.
    _left, right = recording_of(acd, cb_id)
    assert share_of_tone(right, 0.5, 3.0, AGENT_HZ) >= 0.8
    # The demo customer with the caller's number: both calls and the request on their timeline.
    customer = T.expect(acd.api("GET", "/api/v1/customers/lookup", token=lead(acd),
                                query={"number": CALLER_NUMBER}), 200)["items"][0]
    timeline = T.expect(acd.api("GET", f"/api/v1/customers/{customer['id']}/timeline",
                                token=lead(acd)), 200)["items"]
    kinds = {(e["type"], e.get("call_id")) for e in timeline}
    assert {("call", call_id), ("call", cb_id), ("callback", call_id)} <= kinds, timeline
    cb_entry = [e for e in timeline if e["type"] == "call" and e["call_id"] == cb_id][0]
    assert cb_entry["direction"] == "outbound" and cb_entry["parent_id"] == call_id, cb_entry
    assert cb_entry["agent"] == "1003" and cb_entry["has_recording"] is True, cb_entry


def test_queued_callback_tries_again_then_gives_up(acd, phones):
    port = sipp.free_port()
    add_provider_trunk(acd, port)
    configure(acd, ["1003"], callback_key="9", announce_interval_s=0, callback_attempts=2,
              callback_retry_s=10, wrap_up_s=30)
    register(acd, phones, "1003", answermode="auto")
    set_state(acd, lead(acd), "1003", "available")
    set_state(acd, lead(acd), "1003", "not_ready", "meeting")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        call_id, cb_id, _queued = request_callback(acd, events)
        # The customer's line is busy, twice.
        provider, presult = start_provider(acd, port, sipp.provider(
            trunks.USERNAME, trunks.SECRET, refuse=(486, "Busy Here")), calls=2)
        set_state(acd, lead(acd), "1003", "available")
        first = events.next("call.callback_not_reached", cb_id, timeout=20)
        assert first["data"]["attempt"] == 1 and "486" in first["data"]["reason"], first
        # No wrap-up for a customer not reached.
        assert state_of(acd, "1003")["state"] == "available"
        second = events.next("call.callback_not_reached", cb_id, timeout=25)
        assert second["data"]["attempt"] == 2, second
        assert offset_s(second, first) >= 10, (first, second)
        ended = events.next("call.ended", cb_id, timeout=10)
        assert ended["data"]["cause"] == "callback_failed", ended
        provider.join(60)
        assert "error" not in presult and presult["value"].code == 0, presult
    finally:
        events.ws.close()
    req = T.poll(lambda: (lambda items: items if items and items[0]["status"] == "failed"
                          else None)(T.expect(acd.api(
                              "GET", f"/api/v1/callbacks?call_id={call_id}", token=lead(acd)),
                              200)["items"]), 10, what="the request failed")
    assert req[0]["attempts"] == 2 and "486" in req[0]["detail"], req
    log = T.poll(lambda: (lambda l: l if ("callback_failed", None) in l else None)(
        queue_events(acd, cb_id)), 10, what="the callback_failed event")
    assert [e for e, _ in log].count("callback_not_reached") == 2, log
    call = T.expect(acd.api("GET", f"/api/v1/calls/{cb_id}", token=admin(acd)), 200)
    assert call["answered_at"] is None and call["end_cause"] == "callback_failed", call


def recording_of(srv, call_id):
    files = list((srv.data_dir / "recordings").rglob(f"{call_id}.wav"))
    return read_growing_wav(files[0]) if files else ([], [])


def recorded_past(srv, call_id, offset_s_):
    """Waits until the recording holds a second past `offset_s_` (it grows in real time)."""
    T.poll(lambda: len(recording_of(srv, call_id)[1]) > (offset_s_ + 1.2) * 8000, 10,
           interval=0.1, what=f"the recording to pass {offset_s_ + 1.2:.1f} s")


def share_of_tone(samples, start_s, end_s, freq):
    window = samples[int(start_s * 10) * BLOCK:int(end_s * 10) * BLOCK]
    return len(tone_blocks(window, freq)) / max(1, len(window) // BLOCK)


def queued_caller(srv):
    """A SIPp caller choosing 1 (queue support) and staying until Ting hangs up."""
    return T.run_in_thread(
        lambda: sipp.run(sipp.answered_call("4000", [sipp.pause(7000), sipp.digit("1"),
                                                     sipp.recv_bye()]), srv.sip_port,
                         timeout_s=120))


def test_call_control_hold_pause_recording_transfer_and_hangup(acd, phones, workroot):
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    tone2 = baresip.tone_wav(media / "agent-1000.wav", AGENT_HZ, seconds=60, pad_seconds=20)
    tone3 = baresip.tone_wav(media / "agent-1400.wav", 1400, seconds=60, pad_seconds=20)
    configure(acd, ["1002", "1003"], strategy="linear", wrap_up_s=30, announce_interval_s=0)
    p2 = register(acd, phones, "1002", answermode="auto", audio_source=tone2, sip_trace=True)
    register(acd, phones, "1003", answermode="auto", audio_source=tone3)
    a2, a3 = acd.token("demo", "1002"), acd.token("demo", "1003")
    set_state(acd, a2, "1002", "available")
    set_state(acd, a3, "1003", "available")

    def control(token, action, body=None, status=204, method="POST"):
        path = f"/api/v1/calls/{call_id}/{action}"
        resp = acd.api(method, path, token=token, json=body)
        if status == 204:
            T.expect(resp, 204)
        else:
            T.assert_error(resp, status)

    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        caller, result = queued_caller(acd)
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        bridged = events.next("call.bridged", call_id, timeout=20)
        assert bridged["data"]["agent"] == "1002", bridged
        t_bridged = offset_s(bridged, started)
        recorded_past(acd, call_id, t_bridged)

        # Only the agent on the call, or a lead.
        control(a3, "hold", status=403)
        control(a2, "hold")
        held = events.next("call.held", call_id, timeout=5)
        t_held = offset_s(held, started)
        # The agent's phone is told too: a re-INVITE with a=sendonly.
        T.poll(lambda: "a=sendonly" in p2.log_text(), 5, interval=0.1,
               what="the hold re-INVITE at the phone")
        recorded_past(acd, call_id, t_held + 1)
        live_sdps = p2.log_text().count("a=sendrecv")
        control(a2, "resume")
        resumed = events.next("call.resumed", call_id, timeout=5)
        t_resumed = offset_s(resumed, started)
        T.poll(lambda: p2.log_text().count("a=sendrecv") > live_sdps, 5, interval=0.1,
               what="the resume re-INVITE at the phone")
        recorded_past(acd, call_id, t_resumed + 1)
        # Hold pressed on the phone itself: the customer gets the music the same way.
        p2.command("hold")
        phone_held = events.next("call.held", call_id, timeout=5)
        assert phone_held["data"]["by"] == "agent", phone_held
        p2.command("resume")
        events.next("call.resumed", call_id, timeout=5)

        # Card number: the recording goes silent on both channels.
        control(a2, "recording", {"paused": True}, method="PUT")
        paused = events.next("call.recording_paused", call_id, timeout=5)
        t_paused = offset_s(paused, started)
        recorded_past(acd, call_id, t_paused + 1)
        control(a2, "recording", {"paused": False}, method="PUT")
        unpaused = events.next("call.recording_resumed", call_id, timeout=5)
        t_unpaused = offset_s(unpaused, started)

        # Blind transfer by the team lead to 1003; 1002 goes to wrap-up.
        T.assert_error(acd.api("POST", f"/api/v1/calls/{call_id}/transfer", token=lead(acd),
                               json={"agent": "1002", "queue": "support"}), 422)
        control(lead(acd), "transfer", {"agent": "1003"})
        offered = events.next("call.offered", call_id, timeout=10)
        assert offered["data"]["staff_no"] == "1003", offered
        bridged3 = events.next("call.bridged", call_id, timeout=10)
        assert bridged3["data"]["agent"] == "1003", bridged3
        assert state_of(acd, "1002")["state"] == "wrap_up"
        assert state_of(acd, "1003")["state"] == "on_call"
        t_bridged3 = offset_s(bridged3, started)
        recorded_past(acd, call_id, t_bridged3 + 1)

        control(lead(acd), "hangup")
        ended = events.next("call.ended", call_id, timeout=10)
        assert ended["data"]["cause"] == "api_hangup" and ended["data"]["hangup_by"] == "supervisor"
        caller.join(30)
        assert "error" not in result, result.get("error")
        assert result["value"].code == 0, result["value"]
    finally:
        events.ws.close()

    T.poll(lambda: T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=admin(acd)),
                            200)["recording_ms"] is not None, 20, what="the recording closed")
    left, right = recording_of(acd, call_id)
    talk = share_of_tone(right, t_bridged + 0.3, t_held - 0.1, AGENT_HZ)
    on_hold = share_of_tone(right, t_held + 0.3, t_resumed - 0.1, AGENT_HZ)
    back = share_of_tone(right, t_resumed + 0.3, t_paused - 0.1, AGENT_HZ)
    assert talk >= 0.8 and back >= 0.8, (talk, back)
    assert on_hold <= 0.1, f"the agent is heard on hold ({on_hold:.0%})"
    music = right[int((t_held + 0.3) * 10) * BLOCK:int((t_resumed - 0.1) * 10) * BLOCK]
    assert max(abs(x) for x in music) > 1000, "no music on hold"
    quiet = slice(int((t_paused + 0.2) * 10) * BLOCK, int((t_unpaused - 0.1) * 10) * BLOCK)
    assert right[quiet] and not any(right[quiet]) and not any(left[quiet]), \
        "the paused recording is not silent"
    assert share_of_tone(right, t_bridged3 + 0.3, t_bridged3 + 1.0, 1400) >= 0.6
    log = queue_events(acd, call_id)
    assert ("transferred", "1002") in log and ("answered", "1003") in log, log


SUPERVISOR_HZ = 1700


def tone_present(block, freq):
    return audio_check.tone_amplitude(block, 8000, freq) > 2000


def blocks_with(samples, start_s, end_s, freq):
    """How many of the 100 ms blocks in [start_s, end_s) carry `freq`, and how many there are."""
    window = samples[int(start_s * 10) * BLOCK:int(end_s * 10) * BLOCK]
    blocks = [window[i:i + BLOCK] for i in range(0, len(window) - BLOCK + 1, BLOCK)]
    return sum(tone_present(b, freq) for b in blocks), len(blocks)


def heard_blocks(phone, freq):
    heard = phone.heard()
    assert heard, f"{phone.user} recorded nothing"
    _rate, channels = audio_check.read_channels(heard[-1])
    return blocks_with(channels[0], 0, len(channels[0]) / 8000, freq)[0]


def test_supervisor_whisper_reaches_the_agent_only_and_barge_both(acd, phones, workroot):
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    agent_tone = baresip.tone_wav(media / "agent.wav", AGENT_HZ, seconds=60, pad_seconds=20)
    sup_tone = baresip.tone_wav(media / "sup.wav", SUPERVISOR_HZ, seconds=60, pad_seconds=20)
    token = admin(acd)
    sup_user = T.find_user(acd, token, "super")
    T.expect(acd.api("PATCH", f"/api/v1/users/{sup_user['id']}", token=token,
                     json={"sip_extension": "2001"}), 200)
    T.expect(acd.api("PUT", f"/api/v1/users/{sup_user['id']}/sip-password", token=token,
                     json={"password": T.DEMO_PASSWORD}), 204)
    configure(acd, ["1002"], announce_interval_s=0)
    agent_phone = register(acd, phones, "1002", answermode="auto", audio_source=agent_tone,
                           keep_heard=True)
    sup_phone = register(acd, phones, "2001", answermode="auto", audio_source=sup_tone,
                         keep_heard=True)
    set_state(acd, acd.token("demo", "1002"), "1002", "available")
    sup = acd.role_token("supervisor")

    events = Events(*acd.ws_connect(lead(acd), topics=["calls"]))
    try:
        caller, result = queued_caller(acd)
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        events.next("call.bridged", call_id, timeout=20)
        path = f"/api/v1/calls/{call_id}/monitor"
        # Agents may not monitor; a lead without a phone learns why.
        T.assert_error(acd.api("POST", path, token=acd.token("demo", "1002"),
                               json={"mode": "listen"}), 403)
        T.assert_error(acd.api("POST", path, token=lead(acd), json={"mode": "listen"}), 409)
        T.assert_error(acd.api("POST", path, token=sup, json={"mode": "shout"}), 422)

        T.expect(acd.api("POST", path, token=sup, json={"mode": "whisper"}), 204)
        whisper = events.next("call.monitored", call_id, timeout=10)
        assert whisper["data"]["mode"] == "whisper" and whisper["data"]["supervisor"] == "super"
        t_whisper = offset_s(whisper, started)
        recorded_past(acd, call_id, t_whisper + 1)
        T.expect(acd.api("POST", path, token=sup, json={"mode": "barge"}), 204)
        barge = events.next("call.monitored", call_id, timeout=10)
        t_barge = offset_s(barge, started)
        recorded_past(acd, call_id, t_barge + 1)
        T.expect(acd.api("DELETE", path, token=sup), 204)
        stopped = events.next("call.monitor_ended", call_id, timeout=10)
        t_stop = offset_s(stopped, started)
        sup_phone.wait_event("CALL_CLOSED", timeout=10)
        recorded_past(acd, call_id, t_stop + 0.5)
        T.expect(acd.api("POST", f"/api/v1/calls/{call_id}/hangup", token=sup), 204)
        events.next("call.ended", call_id, timeout=10)
        caller.join(30)
        assert "error" not in result, result.get("error")
    finally:
        events.ws.close()

    T.poll(lambda: T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=token),
                            200)["recording_ms"] is not None, 20, what="the recording closed")
    _left, right = recording_of(acd, call_id)  # right: what the customer heard
    whispered, n = blocks_with(right, t_whisper + 0.3, t_barge - 0.1, SUPERVISOR_HZ)
    assert n >= 8 and whispered == 0, f"the customer heard the whisper in {whispered}/{n} blocks"
    agent_heard, n = blocks_with(right, t_whisper + 0.3, t_barge - 0.1, AGENT_HZ)
    assert agent_heard >= 0.8 * n, f"the agent was heard in {agent_heard}/{n} blocks"
    barged, n = blocks_with(right, t_barge + 0.3, t_stop - 0.1, SUPERVISOR_HZ)
    assert n >= 8 and barged >= 0.8 * n, f"barge reached the customer in {barged}/{n} blocks"
    after, n = blocks_with(right, t_stop + 0.3, t_stop + 0.5, SUPERVISOR_HZ)
    assert after == 0, "the supervisor is still heard after leaving"
    agent_phone.stop()
    sup_phone.stop()
    # The agent heard the supervisor (whisper and barge); the supervisor heard the agent.
    assert heard_blocks(agent_phone, SUPERVISOR_HZ) >= 15
    assert heard_blocks(sup_phone, AGENT_HZ) >= 15


def test_attended_transfer_consult_cancel_then_complete(acd, phones, workroot):
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    tone2 = baresip.tone_wav(media / "agent-1000.wav", AGENT_HZ, seconds=60, pad_seconds=20)
    tone3 = baresip.tone_wav(media / "agent-1400.wav", 1400, seconds=60, pad_seconds=20)
    configure(acd, ["1002"], strategy="linear", wrap_up_s=30, announce_interval_s=0)
    register(acd, phones, "1002", answermode="auto", audio_source=tone2)
    p3 = register(acd, phones, "1003", answermode="auto", audio_source=tone3, keep_heard=True)
    a2 = acd.token("demo", "1002")
    set_state(acd, a2, "1002", "available")
    set_state(acd, acd.token("demo", "1003"), "1003", "available")

    events = Events(*acd.ws_connect(lead(acd), topics=["calls"]))
    try:
        caller, result = queued_caller(acd)
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        events.next("call.bridged", call_id, timeout=20)
        base = f"/api/v1/calls/{call_id}"
        T.assert_error(acd.api("POST", f"{base}/consult/complete", token=a2), 404)

        # Consult 1003, then think better of it: back with the customer.
        T.expect(acd.api("POST", f"{base}/consult", token=a2, json={"agent": "1003"}), 204)
        events.next("call.held", call_id, timeout=5)
        connected = events.next("call.consult_connected", call_id, timeout=15)
        assert connected["data"]["consulting"] == "1003", connected
        assert state_of(acd, "1003")["state"] == "on_call"
        assert state_of(acd, "1002")["state"] == "on_call"
        T.assert_error(acd.api("POST", f"{base}/resume", token=a2), 409)
        t_consult1 = offset_s(connected, started)
        recorded_past(acd, call_id, t_consult1 + 1)
        T.expect(acd.api("DELETE", f"{base}/consult", token=a2), 204)
        cancelled = events.next("call.consult_ended", call_id, timeout=5)
        assert cancelled["data"]["answered"] is True, cancelled
        resumed = events.next("call.resumed", call_id, timeout=5)
        t_resumed = offset_s(resumed, started)
        p3.wait_event("CALL_CLOSED", timeout=10)
        assert state_of(acd, "1003")["state"] == "available"  # a consultation has no wrap-up
        recorded_past(acd, call_id, t_resumed + 1)

        # Consult again and complete: 1003 takes the customer, 1002 wraps up.
        T.expect(acd.api("POST", f"{base}/consult", token=a2, json={"agent": "1003"}), 204)
        events.next("call.consult_connected", call_id, timeout=15)
        T.expect(acd.api("POST", f"{base}/consult/complete", token=a2), 204)
        bridged = events.next("call.bridged", call_id, timeout=5)
        assert bridged["data"]["agent"] == "1003", bridged
        t_done = offset_s(bridged, started)
        assert state_of(acd, "1002")["state"] == "wrap_up"
        s3 = state_of(acd, "1003")
        assert s3["state"] == "on_call" and s3["call_id"] == call_id, s3
        # 1002 is no longer on the call: the new agent controls it.
        T.assert_error(acd.api("POST", f"{base}/hold", token=a2), 403)
        recorded_past(acd, call_id, t_done + 1)
        T.expect(acd.api("POST", f"{base}/hangup", token=acd.token("demo", "1003")), 204)
        ended = events.next("call.ended", call_id, timeout=10)
        assert ended["data"]["hangup_by"] == "agent", ended
        caller.join(30)
        assert "error" not in result, result.get("error")
    finally:
        events.ws.close()

    T.poll(lambda: T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=admin(acd)),
                            200)["recording_ms"] is not None, 20, what="the recording closed")
    call = T.expect(acd.api("GET", f"/api/v1/calls/{call_id}", token=admin(acd)), 200)
    assert call["transfer_target"] == "1003", call
    _left, right = recording_of(acd, call_id)
    # While the agents consulted, the customer heard music: neither agent.
    for freq in (AGENT_HZ, 1400):
        heard, n = blocks_with(right, t_consult1 + 0.3, t_consult1 + 1.0, freq)
        assert n >= 5 and heard == 0, f"the customer heard {freq} Hz during the consultation"
    back, n = blocks_with(right, t_resumed + 0.3, t_resumed + 1.0, AGENT_HZ)
    assert back >= 0.8 * n, f"1002 after the cancel in {back}/{n} blocks"
    new, n = blocks_with(right, t_done + 0.3, t_done + 1.0, 1400)
    assert new >= 0.8 * n, f"1003 after the transfer in {new}/{n} blocks"
    log = queue_events(acd, call_id)
    assert ("transferred", "1002") in log and ("answered", "1003") in log, log


def test_queued_callbacks_wait_through_a_restart(acd):
    add_provider_trunk(acd, sipp.free_port())
    configure(acd, ["1003"], callback_key="9", announce_interval_s=0)
    set_state(acd, lead(acd), "1003", "available")
    set_state(acd, lead(acd), "1003", "not_ready", "meeting")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        call_id, cb_id, _queued = request_callback(acd, events)
    finally:
        events.ws.close()
    T.poll(lambda: T.expect(acd.api("GET", f"/api/v1/callbacks?call_id={call_id}",
                                    token=lead(acd)), 200)["items"][0]["callback_call_id"]
           == cb_id, 10, what="the callback recorded")
    acd.stop()
    acd.start()
    # Back in the queue under a new call, still for the same customer and call.
    active = T.expect(acd.api("GET", "/api/v1/calls/active", token=lead(acd)), 200)["items"]
    assert [(c["state"], c["to"]) for c in active] == [("callback_queued", CALLER_NUMBER)], active
    req = T.poll(lambda: (lambda r: r if r["callback_call_id"] == active[0]["id"] else None)(
        T.expect(acd.api("GET", f"/api/v1/callbacks?call_id={call_id}", token=lead(acd)),
                 200)["items"][0]), 10, what="the request pointing at the new callback")
    assert req["status"] == "queued" and active[0]["id"] != cb_id, req
    # Cancelled: it leaves the queue.
    T.expect(acd.api("PATCH", f"/api/v1/callbacks/{req['id']}", token=lead(acd),
                     json={"status": "cancelled"}), 200)
    T.poll(lambda: not T.expect(acd.api("GET", "/api/v1/calls/active", token=lead(acd)),
                                200)["items"], 10, what="the callback gone")


def test_ring_all_rings_every_free_agent_and_the_first_to_answer_takes_it(acd, phones):
    configure(acd, ["1001", "1002"], strategy="ring_all", wrap_up_s=5, announce_interval_s=0)
    p1 = register(acd, phones, "1001", answermode="manual")
    register(acd, phones, "1002", answermode="auto")
    set_state(acd, lead(acd), "1001", "available")
    set_state(acd, lead(acd), "1002", "available")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        caller, result = T.run_in_thread(
            lambda: sipp.run(sipp.answered_call("4000", caller_steps(3000)), acd.sip_port))
        call_id = events.next("call.started", timeout=15)["data"]["call_id"]
        offered = {events.next("call.offered", call_id, timeout=15)["data"]["staff_no"]
                   for _ in range(2)}
        assert offered == {"1001", "1002"}, offered
        p1.wait_event("CALL_INCOMING", timeout=10)
        bridged = events.next("call.bridged", call_id, timeout=15)
        assert bridged["data"]["agent"] == "1002", bridged
        p1.wait_event("CALL_CLOSED", timeout=10)  # the other phone stops ringing
        # Withdrawn, not missed: 1001 is free again at once.
        assert state_of(acd, "1001")["state"] == "available"
        events.next("call.ended", call_id, timeout=20)
        caller.join(30)
        assert "error" not in result and result["value"].code == 0, result
    finally:
        events.ws.close()
    log = T.poll(lambda: (lambda l: l if ("completed", "1002") in l else None)(
        queue_events(acd, call_id)), 10, what="the completed event")
    assert sorted(log[1:3]) == [("offered", "1001"), ("offered", "1002")], log
    assert log[0] == ("entered", None) and log[3:] == [("answered", "1002"),
                                                       ("completed", "1002")], log


def test_a_lead_moves_a_waiting_caller_up_the_queue(acd, phones):
    configure(acd, ["1002"], announce_interval_s=0, wrap_up_s=30)
    register(acd, phones, "1002", answermode="auto")
    set_state(acd, lead(acd), "1002", "available")
    set_state(acd, lead(acd), "1002", "not_ready", "break")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls", "queues"]))
    try:
        callers = []
        ids = []
        for _ in range(2):
            callers.append(T.run_in_thread(lambda: sipp.run(
                sipp.answered_call("4000", caller_steps(12000)), acd.sip_port)))
            ids.append(events.next("call.started", timeout=15)["data"]["call_id"])
            events.next("queue.entered", ids[-1], timeout=15)
        first, second = ids
        T.assert_error(acd.api("PUT", f"/api/v1/calls/{second}/priority",
                               token=acd.token("demo", "1002"), json={"priority": 10}), 403)
        T.assert_error(acd.api("PUT", f"/api/v1/calls/{second}/priority", token=lead(acd),
                               json={"priority": 101}), 422, field="priority")
        T.expect(acd.api("PUT", f"/api/v1/calls/{second}/priority", token=lead(acd),
                         json={"priority": 10}), 204)
        moved = events.next("queue.reprioritized", second, timeout=5)["data"]
        assert moved["position"] == 1 and moved["detail"] == "0 -> 10", moved
        # The agent comes back: the caller moved up is offered first.
        set_state(acd, lead(acd), "1002", "available")
        offered = events.next("call.offered", timeout=10)
        assert offered["data"]["call_id"] == second, offered
        events.next("call.bridged", second, timeout=10)
        T.assert_error(acd.api("PUT", f"/api/v1/calls/{second}/priority", token=lead(acd),
                               json={"priority": 0}), 409)
        for thread, result in callers:
            thread.join(40)
            assert "error" not in result and result["value"].code == 0, result
    finally:
        events.ws.close()


def test_skills_based_routing_takes_the_calls_own_skills_from_the_ivr(acd, phones):
    token = admin(acd)
    # A skills_based queue needing billing; the IVR adds English at level 4.
    T.expect(acd.api("POST", "/api/v1/queues", token=token, json={
        "name": "billing_en", "strategy": "skills_based", "announce_interval_s": 0,
        "skills": [{"skill": "billing", "steps": [{"after_seconds": 0, "min_level": 2}]}]}), 201)
    T.expect(acd.api("PUT", "/api/v1/queues/billing_en/members", token=token,
                     json={"members": [{"staff_no": "1001"}, {"staff_no": "1002"}]}), 200)
    T.expect(acd.api("PUT", "/api/v1/agents/1001/skills", token=token,
                     json={"skills": {"billing": 5, "english": 2}}), 200)
    T.expect(acd.api("PUT", "/api/v1/agents/1002/skills", token=token,
                     json={"skills": {"billing": 3, "english": 5}}), 200)
    flow = {"start": "lang", "nodes": {
        "lang": {"type": "set", "variable": "skills", "value": "english:4", "next": "q"},
        "q": {"type": "transfer", "queue": "billing_en", "fallback": "bye"},
        "bye": {"type": "hangup"}}}
    T.expect(acd.api("POST", "/api/v1/ivr/flows", token=token,
                     json={"name": "english", "document": flow}), 201)
    st, _h, body = acd.api("PUT", "/api/v1/dids/4400", token=token, json={"flow": "english"})
    assert st in (200, 201), body
    register(acd, phones, "1001", answermode="manual")
    register(acd, phones, "1002", answermode="auto")
    # 1001 is free longer and better at billing, but lacks English at 4.
    set_state(acd, lead(acd), "1001", "available")
    set_state(acd, lead(acd), "1002", "available")
    events = Events(*acd.ws_connect(lead(acd), topics=["calls"]))
    try:
        caller, result = T.run_in_thread(lambda: sipp.run(
            sipp.answered_call("4400", [sipp.pause(4000), sipp.bye()]), acd.sip_port,
            service="4400"))
        call_id = events.next("call.started", timeout=15)["data"]["call_id"]
        offered = events.next("call.offered", call_id, timeout=10)["data"]
        assert offered["staff_no"] == "1002" and offered["queue"] == "billing_en", offered
        assert offered["variables"]["skills"] == "english:4", offered
        events.next("call.bridged", call_id, timeout=10)
        caller.join(30)
        assert "error" not in result and result["value"].code == 0, result
    finally:
        events.ws.close()
    assert state_of(acd, "1001")["state"] == "available"
