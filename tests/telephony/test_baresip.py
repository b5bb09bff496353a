"""baresip as an agent's phone: digest registration to the demo tenant, and a
caller (SIPp) transferred by the IVR to extension 1001, bridged, and recorded.

The phone plays a 1 kHz tone, the caller a 600 Hz tone: the recording must
carry the caller on the left and the phone on the right once bridged."""

import re
import struct
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

import audio_check
import baresip
import sipp
import tingtest as T

PHONE_HZ = 1000
CALLER_HZ = 600
RINGBACK_HZ = 450  # Ting's ringback (1 s on, 4 s off)
RATE = 8000
BLOCK = 800  # 100 ms: both tones are whole cycles in a block
CALLER_NUMBER = "13800138000"


# ---------------------------------------------------------------- helpers

def admin(srv):
    return srv.role_token("admin")


def registrations(srv, token):
    return T.expect(srv.api("GET", "/api/v1/sip/registrations", token=token), 200)["items"]


def binding_of(srv, token, phone):
    """The server's binding for this phone (by the address its REGISTER came from)."""
    for r in registrations(srv, token):
        if r["source"] == f"127.0.0.1:{phone.sip_port}":
            return r
    return None


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def rtp_tone_pcap(path, freq, seconds, payload_type=8):
    """A capture SIPp can play (play_pcap_audio): `seconds` of a `freq` Hz tone as
    RTP/PCMA in 20 ms packets. The A-law comes from sox."""
    path = Path(path)
    alaw = path.with_suffix(".al")
    subprocess.run([baresip.SOX, "-n", "-r", str(RATE), "-c", "1", "-t", "al", str(alaw),
                    "synth", str(seconds), "sine", str(freq), "vol", "0.5"],
                   check=True, capture_output=True, timeout=60)
    audio = alaw.read_bytes()
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # Ethernet
    for i in range(len(audio) // 160):
        rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | payload_type,
                          (4000 + i) & 0xFFFF, i * 160, 0x54494E47) + audio[i * 160:(i + 1) * 160]
        udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0x4000,
                                   64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])))
        csum = sum(struct.unpack("!10H", bytes(ip)))
        csum = (csum & 0xFFFF) + (csum >> 16)
        csum = (csum & 0xFFFF) + (csum >> 16)
        ip[10:12] = struct.pack("!H", ~csum & 0xFFFF)
        frame = b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00" + \
            bytes(ip) + udp
        usec = i * 20000
        out.append(struct.pack("<IIII", 1_000_000 + usec // 1_000_000, usec % 1_000_000,
                               len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))
    return path


def blocks(samples):
    return [samples[i:i + BLOCK] for i in range(0, len(samples) - BLOCK + 1, BLOCK)]


def tone_blocks(samples, freq, min_rms=300):
    """Indexes of the 100 ms blocks that are a clear `freq` tone."""
    return {i for i, b in enumerate(blocks(samples))
            if audio_check.rms(b) > min_rms and audio_check.goertzel_power(b, RATE, freq) > 0.6}


def read_growing_wav(path):
    """The channels of a recording still being written (its header not final yet)."""
    raw = Path(path).read_bytes()[44:]
    raw = raw[:len(raw) // 4 * 4]
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    return samples[0::2], samples[1::2]


def ringback_recorded(srv, call_id, since_s):
    """True once the right channel (what the caller hears) has ringback after `since_s`."""
    files = list((srv.data_dir / "recordings").rglob(f"{call_id}.wav"))
    if not files:
        return False
    start = max(0, int(since_s * 10) - 2) * BLOCK
    _left, right = read_growing_wav(files[0])
    return bool(tone_blocks(right[start:], RINGBACK_HZ))


def active_call(srv, token, call_id):
    items = T.expect(srv.api("GET", "/api/v1/calls/active", token=token), 200)["items"]
    return next((c for c in items if c["id"] == call_id), None) or {"state": None}


def offset_s(event, started):
    """Seconds from call.started (the answer, where the recording begins) to `event`."""
    return (parse_time(event["at"]) - parse_time(started["at"])).total_seconds()


class Events:
    """The calls topic of the event WebSocket, read in order and kept."""

    def __init__(self, ws, hello):
        self.ws, self.hello, self.seen = ws, hello, []

    def next(self, name, call_id=None, timeout=20):
        def match(msg):
            self.seen.append(msg)
            return msg.get("event") == name and (
                call_id is None or msg.get("data", {}).get("call_id") == call_id)
        msg, _before = T.ws_wait_for(self.ws, match, timeout=timeout, what=name)
        return msg


# ---------------------------------------------------------------- tests

def test_phone_registers_with_digest_auth(pbx, phones):
    token = admin(pbx)
    phone = phones(pbx, "1001", T.DEMO_PASSWORD, regint=60, sip_trace=True).start()
    binding = T.poll(lambda: binding_of(pbx, token, phone), 15, interval=0.1,
                     what="baresip's binding in /api/v1/sip/registrations")
    assert binding["extension"] == "1001"
    assert binding["transport"] == "udp"
    contact = rf"sip:1001[^@]*@127\.0\.0\.1:{phone.sip_port}"
    assert re.fullmatch(contact, binding["contact"]), binding
    assert binding["user_agent"].startswith("baresip"), binding
    left = (parse_time(binding["expires_at"]) - datetime.now(timezone.utc)).total_seconds()
    assert 30 < left <= 62, f"regint 60 should bind for about 60 s, not {left:.1f}: {binding}"
    # Ting may list the binding a moment before baresip has read the 200.
    T.poll(lambda: phone.registration_state() == "OK", 5, interval=0.1,
           what="baresip to report its registration")
    # Digest: the first REGISTER was challenged (401, realm demo.ting), the second passed.
    trace = phone.log_text()
    challenge = trace.find("SIP/2.0 401 Unauthorized")
    assert challenge >= 0 and 'realm="demo.ting"' in trace[challenge:], phone.log_tail()
    assert re.search(r'Authorization: Digest username="1001", realm="demo.ting"',
                     trace[challenge:]), phone.log_tail()
    assert "SIP/2.0 200 OK" in trace[challenge:], phone.log_tail()
    # Quitting unregisters (Expires 0): the binding goes away.
    phone.stop()
    T.poll(lambda: binding_of(pbx, token, phone) is None, 15, interval=0.1,
           what="the binding to disappear after baresip unregistered")


def test_wrong_password_is_not_registered(pbx, phones):
    token = admin(pbx)
    phone = phones(pbx, "1001", "Not-the-demo-password").start()
    T.poll(lambda: phone.registration_state() == "ERR", 15, interval=0.1,
           what="baresip to report the failed registration")
    line = (f"authentication failed for user '1001' realm demo.ting from "
            f"127.0.0.1:{phone.sip_port}")
    T.poll(lambda: line in pbx.log_text(), 10, what=f"ting's log line {line!r}")
    assert "403 Forbidden" in phone.log_text(), phone.log_tail()
    assert binding_of(pbx, token, phone) is None
    assert all(not r["contact"].endswith(f"@127.0.0.1:{phone.sip_port}")
               for r in registrations(pbx, token))


def test_ivr_transfer_rings_the_phone_then_bridges_and_records(pbx, phones, workroot):
    token = admin(pbx)
    media = Path(tempfile.mkdtemp(prefix="media-", dir=workroot))
    phone_wav = baresip.tone_wav(media / f"phone-{PHONE_HZ}.wav", PHONE_HZ, seconds=40,
                                 pad_seconds=20)
    caller_pcap = rtp_tone_pcap(media / f"caller-{CALLER_HZ}.pcap", CALLER_HZ, seconds=6)
    phone = phones(pbx, "1001", T.DEMO_PASSWORD, audio_source=phone_wav,
                   answermode="manual", keep_heard=True).start()
    T.poll(lambda: binding_of(pbx, token, phone), 15, interval=0.1, what="1001 registered")

    # The caller: the greeting (keys are ignored there), then 0 in the menu --
    # pressed three times, as callers do when nothing seems to happen; keys after
    # the transfer are ignored -- then, once talking to the agent, 6 s of its tone.
    offer = sipp.sdp(payloads="8 101", rtpmaps="a=rtpmap:8 PCMA/8000\n"
                     "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n")
    play_tone = f'  <nop><action><exec play_pcap_audio="{caller_pcap}"/></action></nop>'
    steps = [sipp.pause(7000), sipp.digit("0"), sipp.pause(2100), sipp.digit("0"),
             sipp.pause(2100), sipp.digit("0"), sipp.pause(2500), play_tone,
             sipp.pause(6500), sipp.bye()]
    events = Events(*pbx.ws_connect(token, topics=["calls"]))
    try:
        caller, result = T.run_in_thread(
            lambda: sipp.run(sipp.answered_call("4000", steps, offer=offer), pbx.sip_port))
        started = events.next("call.started", timeout=15)
        call_id = started["data"]["call_id"]
        assert started["data"]["from"] == CALLER_NUMBER and started["data"]["did"] == "4000"
        transferring = events.next("call.transferring", call_id, timeout=20)
        assert transferring["data"]["extension"] == "1001"

        # The phone rings with the caller's number; the caller hears ringback.
        incoming = phone.wait_event("CALL_INCOMING", timeout=10)
        assert incoming.get("peeruri", "").startswith(f"sip:{CALLER_NUMBER}@"), incoming
        active = active_call(pbx, token, call_id)
        assert active["state"] == "transferring" and active["transfer_target"] == "1001", active
        ring_from = offset_s(transferring, started)
        T.poll(lambda: ringback_recorded(pbx, call_id, ring_from), 10, interval=0.1,
               what="ringback (450 Hz) in the recording's right channel")

        # The agent picks up: Ting bridges the two legs.
        phone.command("accept")
        bridged = events.next("call.bridged", call_id, timeout=10)
        assert bridged["data"]["extension"] == "1001"
        established = phone.wait_event("CALL_ESTABLISHED", timeout=5)
        assert established.get("direction") == "incoming", established
        phone.wait_event("CALL_RTPESTAB", timeout=5)
        T.poll(lambda: active_call(pbx, token, call_id)["state"] == "bridged", 5,
               what="the active call to show bridged")

        ended = events.next("call.ended", call_id, timeout=30)
        assert ended["data"]["cause"] == "caller_hangup", ended
        caller.join(30)
        assert "error" not in result, result.get("error")
        assert result["value"].code == 0, result["value"]
    finally:
        events.ws.close()
    # Ting hangs up the phone's leg when the caller hangs up.
    phone.wait_event("CALL_CLOSED", timeout=10)

    # The call record.
    def finished():
        body = T.expect(pbx.api("GET", f"/api/v1/calls/{call_id}", token=token), 200)
        return body if body["recording_ms"] is not None else None
    call = T.poll(finished, 20, interval=0.1, what="the finished call record")
    assert call["state"] == "ended" and call["transfer_target"] == "1001", call
    assert call["end_cause"] == "caller_hangup" and call["hangup_by"] == "caller", call
    assert call["has_recording"] is True
    path = [(s["node"], s["input"], s["outcome"]) for s in call["ivr_path"]]
    assert path[0] == ("welcome", "", "ok"), path
    assert ("main_menu", "0", "ok") in path, path
    assert path[-1] == ("to_operator", "", "transfer"), path

    # The recording: the API's and the file under the data dir are the same WAV.
    st, headers, wav = pbx.api("GET", f"/api/v1/calls/{call_id}/recording", token=token)
    assert st == 200 and headers.get("Content-Type") == "audio/wav"
    on_disk = list((pbx.data_dir / "recordings").rglob(f"{call_id}.wav"))
    assert len(on_disk) == 1 and on_disk[0].read_bytes() == wav, on_disk
    rate, (left, right) = audio_check.read_channels(on_disk[0])
    assert rate == RATE

    # Where ringing and the bridge lie in the recording (it starts at the answer).
    ring_block = int(ring_from * 10)
    bridge_s = offset_s(bridged, started)
    first = int(bridge_s * 10) + 3  # 300 ms into the bridge, in blocks
    last = len(right) // BLOCK - 2
    assert last - first >= 40, f"bridged for {bridge_s:.1f}-{len(right) / RATE:.1f} s only"
    bridged_blocks = set(range(first, last))

    # Right channel: ringback while the phone rang, none once bridged.
    ringback = tone_blocks(right, RINGBACK_HZ)
    assert ringback & set(range(ring_block - 2, first - 3)), "no ringback before the bridge"
    assert not ringback & bridged_blocks, sorted(ringback & bridged_blocks)
    # Right channel: the phone's tone throughout the bridge, never before.
    phone_right = tone_blocks(right, PHONE_HZ)
    assert len(phone_right & bridged_blocks) >= 0.9 * len(bridged_blocks), \
        f"phone's tone in {len(phone_right & bridged_blocks)}/{len(bridged_blocks)} bridged blocks"
    assert len(phone_right & set(range(0, first - 6))) <= 2, sorted(phone_right)[:10]
    # ... and not on the left (the caller's side).
    seg = slice(first * BLOCK, last * BLOCK)
    a_right = audio_check.tone_amplitude(right[seg], RATE, PHONE_HZ)
    a_left = audio_check.tone_amplitude(left[seg], RATE, PHONE_HZ)
    assert a_right > 2000 and a_left < 0.02 * a_right, (a_left, a_right)

    # Left channel: the caller's tone (about 6 s, sent while bridged); the caller
    # does not hear itself (right).
    caller_left = tone_blocks(left, CALLER_HZ)
    assert len(caller_left) >= 45, f"caller's tone in {len(caller_left)} blocks of 100 ms"
    assert min(caller_left) >= first - 3, \
        f"the caller's tone began at {min(caller_left) / 10} s, before the bridge ({bridge_s} s)"
    seg = slice(min(caller_left) * BLOCK, (max(caller_left) + 1) * BLOCK)
    c_left = audio_check.tone_amplitude(left[seg], RATE, CALLER_HZ)
    c_right = audio_check.tone_amplitude(right[seg], RATE, CALLER_HZ)
    assert c_left > 2000 and c_right < 0.02 * c_left, (c_left, c_right)

    # The phone heard the caller's tone and not its own.
    phone.stop()
    heard = phone.heard()
    assert heard, f"the phone recorded nothing in {phone.heard_dir}"
    heard_rate, heard_channels = audio_check.read_channels(heard[-1])
    assert heard_rate == RATE, heard_rate
    at_phone = heard_channels[0]
    assert len(tone_blocks(at_phone, CALLER_HZ)) >= 45, "the caller's tone never reached the phone"
    assert not tone_blocks(at_phone, PHONE_HZ), "the phone hears its own tone"
