#!/usr/bin/env python3
"""ACD load: AGENTS agents answering on one SIPp UAS, CALLERS SIPp callers
queued in one queue (DID 4100 goes straight to it), against the release build.

Each agent's REGISTER (digest, computed here) is sent from the UAS's port
before SIPp starts there, so Ting reaches every agent at that one SIPp. The
UAS rings 200 ms, answers, talks TALK_MS and hangs up; the queue's wrap-up is
WRAP_S. Callers wait in the queue (music on hold, recorded) until Ting's agent
hangs up, so at the start most of them wait.

Prints, per run and as medians over RUNS runs:
  - offer latency p50 / p99: from the moment an agent and a waiting call could
    meet (the later of the agent becoming available and the call joining) to
    the INVITE handed to the SIP stack (ting_acd_offer_latency_seconds);
  - calls answered by agents, failed calls (SIPp), and how long all took;
  - Ting's CPU: seconds of CPU per answered call, and the share of one core;
  - the hypervisor's steal share over the run.

Environment: AGENTS (default 200), CALLERS (1000), RATE (caller setups/s, 100),
TALK_MS (3000), WRAP_S (1), RUNS (3), TING_BIN (default build/release/ting).
"""

import hashlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "telephony"))
sys.path.insert(0, str(ROOT / "bench"))
import sipp  # noqa: E402
from sip_load import (Ting, cumulative, free_port, gauge, histogram, host_cpu,  # noqa: E402
                      scrape, steal_share)

BIN = os.environ.get("TING_BIN", str(ROOT / "build" / "release" / "ting"))
AGENTS = int(os.environ.get("AGENTS", "200"))
CALLERS = int(os.environ.get("CALLERS", "1000"))
RATE = int(os.environ.get("RATE", "100"))
TALK_MS = int(os.environ.get("TALK_MS", "3000"))
WRAP_S = int(os.environ.get("WRAP_S", "1"))
RUNS = int(os.environ.get("RUNS", "3"))
PASSWORD = "bench-pass-1"  # the demo password Ting() starts with
AGENT_SIP_PASSWORD = "agent-sip-1"


def api(port, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def register_all(sip_port, uas_port, users):
    """REGISTER every user from uas_port with digest auth; their contact is that port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", uas_port))
    sock.settimeout(5)
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731

    def send(user, cseq, auth=""):
        msg = (f"REGISTER sip:demo.ting SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{uas_port};branch=z9hG4bK{user}{cseq};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:{user}@demo.ting>;tag={user}\r\n"
               f"To: <sip:{user}@demo.ting>\r\nCall-ID: reg-{user}@bench\r\nCSeq: {cseq} REGISTER\r\n"
               f"Contact: <sip:{user}@127.0.0.1:{uas_port}>\r\nExpires: 3600\r\n{auth}"
               f"Content-Length: 0\r\n\r\n")
        sock.sendto(msg.encode(), ("127.0.0.1", sip_port))
        while True:
            data = sock.recv(65535).decode(errors="replace")
            if f"reg-{user}@bench" in data and f"CSeq: {cseq} REGISTER" in data:
                return data

    for user in users:
        challenge = send(user, 1)
        m = re.search(r'WWW-Authenticate: Digest (.*)', challenge)
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', m.group(1)))
        uri, nc, cnonce = "sip:demo.ting", "00000001", "bench"
        ha1 = md5(f"{user}:{params['realm']}:{AGENT_SIP_PASSWORD}")
        ha2 = md5(f"REGISTER:{uri}")
        resp = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        auth = (f'Authorization: Digest username="{user}", realm="{params["realm"]}", '
                f'nonce="{params["nonce"]}", uri="{uri}", response="{resp}", algorithm=MD5, '
                f'qop=auth, nc={nc}, cnonce="{cnonce}"\r\n')
        ok = send(user, 2, auth)
        if not ok.startswith("SIP/2.0 200"):
            raise RuntimeError(f"{user} not registered: {ok.splitlines()[0]}")
    sock.close()


def agent_scenario():
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent">
  <recv request="INVITE" crlf="true" rrs="true">
    <action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/></action>
  </recv>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent@[local_ip]:[local_port]>
Content-Length: 0

]]></send>
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000

]]></send>
  <recv request="ACK" crlf="true"/>
  <pause milliseconds="{TALK_MS}"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:agent@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To:[$caller]
[last_Call-ID:]
CSeq: 2 BYE
Contact: <sip:agent@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def one_run(work):
    ting = Ting(work, TING_SIP_MAX_CALLS=str(CALLERS * 2 + AGENTS * 2),
                TING_AUTH_ARGON2_MEMORY_KIB="64", TING_AUTH_ARGON2_ITERATIONS="1")
    http, sip, data = ting.http, ting.sip, ting.data
    uas_port = free_port(socket.SOCK_DGRAM)
    procs = []
    try:
        token = api(http, "POST", "/api/v1/auth/login",
                    body={"tenant": "demo", "username": "admin", "password": PASSWORD})["token"]
        users = [f"{7000 + i}" for i in range(AGENTS)]
        for u in users:
            made = api(http, "POST", "/api/v1/users", token,
                       {"username": u, "password": PASSWORD + "-agent", "role": "agent"})
            api(http, "PATCH", f"/api/v1/users/{made['id']}", token, {"sip_extension": u})
            api(http, "PUT", f"/api/v1/users/{made['id']}/sip-password", token,
                {"password": AGENT_SIP_PASSWORD})
        api(http, "POST", "/api/v1/queues", token,
            {"name": "bench", "wrap_up_s": WRAP_S, "offer_timeout_s": 30, "max_wait_s": 86400,
             "announce_interval_s": 0})
        api(http, "PUT", "/api/v1/queues/bench/members", token,
            {"members": [{"staff_no": u} for u in users]})
        flow = {"start": "q", "nodes": {"q": {"type": "transfer", "queue": "bench",
                                              "fallback": "bye"},
                                        "bye": {"type": "hangup"}}}
        api(http, "POST", "/api/v1/ivr/flows", token, {"name": "bench", "document": flow})
        api(http, "PUT", "/api/v1/dids/4100", token, {"flow": "bench"})
        register_all(sip, uas_port, users)
        sipp_dir = data / "sipp"
        sipp_dir.mkdir()
        (sipp_dir / "agent.xml").write_text(agent_scenario())
        procs.append(subprocess.Popen(
            ["sipp", "-sf", str(sipp_dir / "agent.xml"), "-i", "127.0.0.1", "-p", str(uas_port),
             "-mp", "30000", "-nostdin", "-trace_stat", "-fd", "1",
             "-stf", str(sipp_dir / "agents.csv")],
            cwd=sipp_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)  # SIPp binds its port (a benchmark may wait on wall time)
        for u in users:
            api(http, "PUT", f"/api/v1/agents/{u}/state", token, {"state": "available"})
        caller = sipp_dir / "caller.xml"
        caller.write_text(sipp.answered_call(
            "4100", [sipp.recv_bye().replace('timeout="30000"', 'timeout="600000"')]))
        before, cpu_before, t0 = scrape(http), host_cpu(), time.time()
        caller_proc = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sip}", "-sf", str(caller), "-s", "4100", "-m", str(CALLERS),
             "-l", str(CALLERS), "-r", str(RATE), "-i", "127.0.0.1",
             "-p", str(free_port(socket.SOCK_DGRAM)), "-mp", "40000", "-nostdin",
             "-timeout", "900s", "-trace_stat", "-fd", "1", "-stf", str(sipp_dir / "callers.csv")],
            cwd=sipp_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        caller_proc.wait(timeout=900)
        t1 = time.time()
        after, cpu_after = scrape(http), host_cpu()
        b0 = cumulative(histogram(before, "ting_acd_offer_latency_seconds"))
        b1 = cumulative(histogram(after, "ting_acd_offer_latency_seconds"))
        diff = {k: b1.get(k, 0) - b0.get(k, 0) for k in b1}
        total = diff.get(float("inf"), 0)

        def pct(p):
            return next((b for b in sorted(diff) if diff[b] >= p * total), float("inf"))
        stat = (sipp_dir / "callers.csv").read_text().splitlines()
        head, last = stat[0].split(";"), stat[-1].split(";")
        failed = int(last[head.index("FailedCall(C)")])
        ok = int(last[head.index("SuccessfulCall(C)")])
        cpu = gauge(after, "process_cpu_seconds_total") - gauge(before, "process_cpu_seconds_total")
        return {"offers": total, "offer_p50_us": pct(0.5) * 1e6, "offer_p99_us": pct(0.99) * 1e6,
                "answered": ok, "failed": failed, "seconds": t1 - t0,
                "cpu_ms_per_call": 1000 * cpu / max(ok, 1), "cpu_share": cpu / (t1 - t0),
                "host_steal_share": steal_share(cpu_before, cpu_after)}
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        ting.stop()


def main():
    work = tempfile.mkdtemp(prefix="ting-acdload-")
    results = []
    for i in range(RUNS):
        r = one_run(work)
        print(f"run {i + 1}: {r}", flush=True)
        results.append(r)
    print(f"\nAGENTS={AGENTS} CALLERS={CALLERS} RATE={RATE}/s TALK={TALK_MS} ms "
          f"WRAP={WRAP_S} s, medians of {RUNS} runs:")
    for key in results[0]:
        print(f"  {key}: {statistics.median(r[key] for r in results):.4g}")


if __name__ == "__main__":
    main()
