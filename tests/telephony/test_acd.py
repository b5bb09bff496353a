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
    files = list((acd.data_dir / "recordings").rglob(f"{call_id}.wav"))
    assert files, "no recording"
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
    register(acd, phones, "1002", answermode="auto", audio_source=tone2)
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
        recorded_past(acd, call_id, t_held + 1)
        control(a2, "resume")
        resumed = events.next("call.resumed", call_id, timeout=5)
        t_resumed = offset_s(resumed, started)
        recorded_past(acd, call_id, t_resumed + 1)

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
