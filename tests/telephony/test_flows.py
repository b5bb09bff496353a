"""Publishing a flow is an atomic hot reload: calls in progress finish on
their version, new calls get the new one, and an invalid document changes
nothing."""

import threading

import audio_check
import sipp
import tingtest as T
from test_calls import admin, wait_for

V1 = {"start": "m1", "nodes": {
    "m1": {"type": "menu", "prompt": "版本一", "choices": {"1": "bye1"},
           "timeout_ms": 20000, "retries": 1, "fallback": "bye1"},
    "bye1": {"type": "hangup"}}}
V2 = {"start": "m2", "nodes": {
    "m2": {"type": "menu", "prompt": "版本二", "choices": {"2": "bye2"},
           "timeout_ms": 20000, "retries": 1, "fallback": "bye2"},
    "bye2": {"type": "hangup"}}}


def call_from(number, steps):
    return sipp.answered_call("4300", steps).replace("13800138000", number)


def finished_call(srv, token, number):
    def ended():
        items = T.expect(srv.api("GET", f"/api/v1/calls?from={number}&limit=1", token=token),
                         200)["items"]
        return items[0] if items and items[0]["state"] == "ended" else None
    call = wait_for(ended, what=f"the call from {number}")
    return T.expect(srv.api("GET", f"/api/v1/calls/{call['id']}", token=token), 200)


def test_publish_switches_new_calls_and_leaves_calls_in_progress_alone(server_factory):
    srv = server_factory(name="flows")
    token = admin(srv)
    T.expect(srv.api("POST", "/api/v1/ivr/flows", token=token,
                     json={"name": "hot", "document": V1}), 201)
    st, _h, body = srv.api("PUT", "/api/v1/dids/4300", token=token, json={"flow": "hot"})
    assert st in (200, 201), body

    # Call A starts on version 1 and presses 1 only after version 2 is live.
    results = {}

    def call_a():
        results["a"] = sipp.run(call_from("13900000001", [
            sipp.pause(4000), sipp.digit("1", wait=False), sipp.recv_bye()]), srv.sip_port, service="4300")

    a = threading.Thread(target=call_a)
    a.start()
    wait_for(lambda: any(c["from"] == "13900000001" for c in T.expect(
        srv.api("GET", "/api/v1/calls/active", token=token), 200)["items"]),
        what="call A in the IVR")
    T.expect(srv.api("PUT", "/api/v1/ivr/flows/hot", token=token, json={"document": V2}), 200)
    b = sipp.run(call_from("13900000002", [sipp.digit("2", wait=False), sipp.recv_bye()]), srv.sip_port,
                 service="4300")
    a.join()
    assert results["a"].code == 0, results["a"]
    assert b.code == 0, b

    a_rec = finished_call(srv, token, "13900000001")
    b_rec = finished_call(srv, token, "13900000002")
    assert a_rec["flow_version"] == 1
    assert [s["node"] for s in a_rec["ivr_path"]] == ["m1", "bye1"]
    assert b_rec["flow_version"] == 2
    assert [s["node"] for s in b_rec["ivr_path"]] == ["m2", "bye2"]

    # An invalid version is refused with every problem, and version 2 keeps serving.
    broken = {"start": "m3", "nodes": {
        "m3": {"type": "menu", "prompt": "x", "choices": {"1": "nowhere"}},
        "lost": {"type": "hangup"}}}
    st, _h, body = srv.api("PUT", "/api/v1/ivr/flows/hot", token=token,
                           json={"document": broken})
    assert st == 422, body
    assert {e["node"] for e in body["error"]["errors"]} == {"m3", "lost"}
    c = sipp.run(call_from("13900000003", [sipp.digit("2", wait=False), sipp.recv_bye()]), srv.sip_port,
                 service="4300")
    assert c.code == 0, c
    c_rec = finished_call(srv, token, "13900000003")
    assert c_rec["flow_version"] == 2


def test_card_number_keys_are_kept_out_of_the_recording(server_factory):
    """A collect node with pause_recording: both channels record silence while
    the caller keys in, and the call is recorded again afterwards."""
    srv = server_factory(name="card")
    token = admin(srv)
    flow = {"start": "card", "nodes": {
        "card": {"type": "collect", "prompt": "请输入卡号后四位。", "variable": "card",
                 "min_digits": 4, "max_digits": 4, "pause_recording": True, "mask": True,
                 "timeout_ms": 10000, "next": "bye"},
        "bye": {"type": "hangup", "prompt": "谢谢，再见。"}}}
    T.expect(srv.api("POST", "/api/v1/ivr/flows", token=token,
                     json={"name": "card", "document": flow}), 201)
    st, _h, body = srv.api("PUT", "/api/v1/dids/4300", token=token, json={"flow": "card"})
    assert st in (200, 201), body
    # The caller talks, keys 4 digits from 1.5 s (SIPp stops the speech to
    # send them), then talks again while the goodbye plays.
    r = sipp.run(call_from("13900000004", [
        sipp.audio(), sipp.pause(1500), sipp.digit("1"), sipp.digit("2"), sipp.digit("3"),
        sipp.digit("4"), sipp.audio(), sipp.recv_bye()]), srv.sip_port, service="4300")
    assert r.code == 0, r
    rec = finished_call(srv, token, "13900000004")
    assert [(s["node"], s["input"]) for s in rec["ivr_path"]] == [("card", "xxxx"), ("bye", "")]

    def recorded():
        d = T.expect(srv.api("GET", f"/api/v1/calls/{rec['id']}", token=token), 200)
        return d if d["recording_ms"] is not None else None
    wait_for(recorded, what="the finished recording")
    st, _h, wav = srv.api("GET", f"/api/v1/calls/{rec['id']}/recording", token=token)
    assert st == 200
    path = srv.workdir / "card.wav"
    path.write_bytes(wav)
    rate, (left, right) = audio_check.read_channels(path)
    # While keying in (the prompt plays and the caller talks): silence on both.
    keyed = slice(int(0.1 * rate), int(2.4 * rate))
    assert max(map(abs, left[keyed])) == 0 and max(map(abs, right[keyed])) == 0
    # After the last key: the caller on the left, the goodbye on the right.
    after = slice(int(3.5 * rate), len(left))
    assert len(left) > int(4.0 * rate), "the recording ends too early"
    assert audio_check.rms(left[after]) > 50, "the caller is not recorded again"
    assert audio_check.rms(right[after]) > 50, "the goodbye prompt is not recorded"
