"""Calls from SIPp into the demo IVR (DID 4000) over real SIP and RTP."""

import time

import pytest

import audio_check
import sipp
import tingtest as T


def admin(srv):
    return srv.role_token("admin")


def wait_for(fn, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def latest_call(srv, token, ended=True):
    def find():
        st, _h, body = srv.api("GET", "/api/v1/calls?limit=1", token=token)
        assert st == 200, body
        items = body["items"]
        if items and (not ended or items[0]["state"] == "ended"):
            return items[0]
        return None
    return wait_for(find, what="the call record")


def call_detail(srv, token, ref):
    def done():
        body = T.expect(srv.api("GET", f"/api/v1/calls/{ref}", token=token), 200)
        return body if body["recording_ms"] is not None else None
    return wait_for(done, what="the finished recording")


def test_caller_leaves_a_message_by_digits(pbx):
    """Greeting, menu key 2 (during the prompt: barge-in), the message, '#', goodbye."""
    steps = [sipp.audio(), sipp.pause(10000), sipp.digit("2"), sipp.pause(9500), sipp.audio(),
             sipp.pause(3000), sipp.digit("#"), sipp.recv_bye()]
    r = sipp.run(sipp.answered_call("4000", steps), pbx.sip_port)
    assert r.code == 0, r
    token = admin(pbx)
    call = latest_call(pbx, token)
    assert call["end_cause"] == "ivr_hangup" and call["hangup_by"] == "ivr"
    assert call["from"] == "13800138000" and call["did"] == "4000"
    detail = call_detail(pbx, token, call["id"])
    nodes = [(s["node"], s["input"], s["outcome"]) for s in detail["ivr_path"]]
    assert nodes[0] == ("welcome", "", "ok")
    assert ("main_menu", "2", "ok") in nodes
    assert [n[0] for n in nodes][-2:] == ["leave_msg", "thanks"]
    # The recording: the caller's speech on the left, the prompts on the right.
    st, headers, wav = pbx.api("GET", f"/api/v1/calls/{call['id']}/recording", token=token)
    assert st == 200 and headers.get("Content-Type") == "audio/wav"
    path = pbx.workdir / "call.wav"
    path.write_bytes(wav)
    rate, (left, right) = audio_check.read_channels(path)
    assert rate == 8000
    assert audio_check.rms(left) > 100, "caller audio missing on the left"
    assert audio_check.rms(right) > 100, "prompts missing on the right"
    # The first 2 s: the caller's speech is only on the left, the greeting only on the right.
    assert audio_check.rms(left[:16000]) > 5 * audio_check.rms(right[:16000]) or \
        audio_check.rms(right[:16000]) > 100


def test_recording_supports_ranges_and_playback_is_audited(pbx):
    token = admin(pbx)
    steps = [sipp.audio(), sipp.pause(3000), sipp.bye()]
    assert sipp.run(sipp.answered_call("4000", steps), pbx.sip_port).code == 0
    call = latest_call(pbx, token)
    call_detail(pbx, token, call["id"])
    st, headers, part = pbx.api("GET", f"/api/v1/calls/{call['id']}/recording", token=token,
                                headers={"Range": "bytes=0-43"})
    assert st == 206 and len(part) == 44 and part[:4] == b"RIFF"
    assert headers["Content-Range"].startswith("bytes 0-43/")
    st, _h, _b = pbx.api("GET", f"/api/v1/calls/{call['id']}/recording", token=token,
                         headers={"Range": "bytes=999999999-"})
    assert st == 422
    # Agents may list calls but not play recordings.
    st, _h, _b = pbx.api("GET", f"/api/v1/calls/{call['id']}/recording",
                         token=pbx.role_token("agent"))
    assert st == 403
    audit = T.expect(pbx.api("GET", "/api/v1/audit?action=play_recording&entity_id="
                             + call["id"], token=token), 200)
    assert len(audit["items"]) == 1  # the refused requests played nothing


def test_hangup_during_the_greeting(pbx):
    token = admin(pbx)
    steps = [sipp.pause(1500), sipp.bye()]
    assert sipp.run(sipp.answered_call("4000", steps), pbx.sip_port).code == 0
    call = latest_call(pbx, token)
    assert call["end_cause"] == "caller_hangup" and call["hangup_by"] == "caller"
    detail = call_detail(pbx, token, call["id"])
    assert detail["ivr_path"][-1]["outcome"] == "abandoned"


def test_invalid_key_then_timeout_are_retried(pbx):
    token = admin(pbx)
    # '9' is no choice: the invalid prompt, the menu again; then silence until a timeout.
    steps = [sipp.audio(), sipp.pause(10000), sipp.digit("9"), sipp.pause(20000), sipp.bye()]
    assert sipp.run(sipp.answered_call("4000", steps), pbx.sip_port, timeout_s=90).code == 0
    call = latest_call(pbx, token)
    detail = call_detail(pbx, token, call["id"])
    menu = [s for s in detail["ivr_path"] if s["node"] == "main_menu"]
    assert menu and menu[0]["input"].startswith("9")


def test_unknown_number_gets_404(pbx):
    r = sipp.run(sipp.rejected_call("9999", 404), pbx.sip_port, service="9999")
    assert r.code == 0, r


def test_no_common_codec_gets_488(pbx):
    offer = sipp.sdp(payloads="18", rtpmaps="a=rtpmap:18 G729/8000\n")
    r = sipp.run(sipp.rejected_call("4000", 488, offer), pbx.sip_port)
    assert r.code == 0, r


def test_malformed_sdp_gets_488(pbx):
    offer = "v=0\nthis is not sdp\n"
    r = sipp.run(sipp.rejected_call("4000", 488, offer), pbx.sip_port)
    assert r.code == 0, r


def test_tcp_transport(pbx):
    token = admin(pbx)
    steps = [sipp.audio(), sipp.pause(2000), sipp.bye()]
    r = sipp.run(sipp.answered_call("4000", steps), pbx.sip_port, transport="t1")
    assert r.code == 0, r
    call = latest_call(pbx, token)
    assert call["end_cause"] == "caller_hangup"


def test_hold_and_resume_by_reinvite(pbx):
    steps = [sipp.audio(), sipp.pause(1000), sipp.reinvite(2, "sendonly"), sipp.pause(1000),
             sipp.reinvite(3, "sendrecv"), sipp.pause(500),
             sipp.bye(cseq=4)]
    r = sipp.run(sipp.answered_call("4000", steps), pbx.sip_port)
    assert r.code == 0, r
    assert "reinvite sendonly answered recvonly" in r.log
    assert "reinvite sendrecv answered sendrecv" in r.log


def test_cancel_before_answer_is_recorded_as_cancelled(server_factory):
    srv = server_factory(env={"TING_SIP_ANSWER_DELAY": "5000"}, name="ring")
    r = sipp.run(sipp.cancelled_call("4000"), srv.sip_port)
    assert r.code == 0, r
    call = latest_call(srv, admin(srv))
    assert call["end_cause"] == "caller_cancel"
    assert call["hangup_by"] == "caller"
    assert call["answered_at"] is None
    detail = T.expect(srv.api("GET", f"/api/v1/calls/{call['id']}", token=admin(srv)), 200)
    assert detail["ivr_path"] == []


def test_over_capacity_gets_503_with_retry_after(server_factory):
    srv = server_factory(env={"TING_SIP_MAX_CALLS": "1"}, name="cap")
    import threading
    holder = threading.Thread(target=sipp.run, args=(
        sipp.answered_call("4000", [sipp.pause(6000), sipp.bye()]), srv.sip_port))
    holder.start()
    token = admin(srv)
    latest_call(srv, token, ended=False)
    r = sipp.run(sipp.rejected_call("4000", 503, header_regexp="Retry-After: [0-9]+"),
                 srv.sip_port)
    holder.join()
    assert r.code == 0, r
    assert "matched Retry-After" in r.log
