#!/usr/bin/env python3
"""Telephony load: SIPp callers held in the demo IVR (DID 4000: prompts playing,
every call recorded) against the release build on this machine.

Prints, per run and as medians over RUNS runs:
  - concurrent calls reached and failed calls (SIPp);
  - RTP pacing: the share of Ting's send intervals within 20 +/- 2 ms and the
    p99 interval, from ting_rtp_send_interval_seconds (difference of two
    scrapes taken while all calls are up);
  - CPU per call: Ting's process CPU seconds over the hold, per call-second;
  - call setups per second sustained (SIPp's rate, with no failures);
  - the hypervisor's steal share of the host's CPU over the same window.

Each caller streams speech (SIPp's g711a.pcap payloads, looped by rtp_stream)
for HOLD_MS, then hangs up. DETAIL=1 also prints the interval distribution,
tick durations and tick lateness.

Environment: CALLS (default 500), RATE (setups/s, default 100), HOLD_MS (default
30000), RUNS (default 3), TING_BIN (default build/release/ting).
"""

import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "telephony"))
import sipp  # noqa: E402  (the telephony suite's scenario builder)

BIN = os.environ.get("TING_BIN", str(ROOT / "build" / "release" / "ting"))
CALLS = int(os.environ.get("CALLS", "500"))
RATE = int(os.environ.get("RATE", "100"))
HOLD_MS = int(os.environ.get("HOLD_MS", "30000"))
RUNS = int(os.environ.get("RUNS", "3"))


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def histogram(text, name):
    """{upper bound: cumulative count} summed over label sets."""
    buckets = {}
    for m in re.finditer(name + r'_bucket\{[^}]*le="([^"]+)"\}\s+(\d+)', text):
        le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
        buckets[le] = buckets.get(le, 0) + int(m.group(2))
    return buckets


def gauge(text, name):
    m = re.search(r"^" + name + r"(?:\{[^}]*\})?\s+([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def cumulative(buckets):
    """The exporter writes per-bucket counts or cumulative ones; return cumulative."""
    bounds = sorted(buckets)
    values = [buckets[b] for b in bounds]
    if all(values[i] <= values[i + 1] for i in range(len(values) - 1)):
        return dict(zip(bounds, values))
    total, out = 0, {}
    for b, v in zip(bounds, values):
        total += v
        out[b] = total
    return out


def host_cpu():
    """The machine's CPU jiffies from /proc/stat: user nice system idle iowait irq softirq steal."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:9]]


def steal_share(before, after):
    delta = [a - b for a, b in zip(after, before)]
    return delta[7] / max(sum(delta), 1)


def pcap_payloads(path):
    """The RTP payloads of an Ethernet/IPv4/UDP capture, concatenated: raw audio."""
    data = path.read_bytes()
    off, out = 24, bytearray()
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        packet = data[off + 16:off + 16 + incl]
        out += packet[14 + 20 + 8 + 12:]
        off += 16 + incl
    return bytes(out)


class Ting:
    """The release server on free ports with the demo tenant (password
    bench-pass-1), its data under `work`; ready once /metrics answers."""

    def __init__(self, work, **env):
        self.http, self.sip = free_port(), free_port()
        self.data = Path(tempfile.mkdtemp(dir=work))
        self.log = open(self.data / "server.log", "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", str(self.data), "--http", f"127.0.0.1:{self.http}",
             "--sip", f"127.0.0.1:{self.sip}", "--demo", "--demo-password", "bench-pass-1"],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, TING_LOG_LEVEL="warn", **env))
        deadline = time.time() + 30
        while True:
            try:
                scrape(self.http)
                return
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=120)
        self.log.close()


def one_run(work):
    ting = Ting(work, TING_SIP_MAX_CALLS=str(CALLS * 2))
    http, sip, data = ting.http, ting.sip, ting.data
    try:
        # Render the demo prompts once so the run measures calls, not TTS.
        subprocess.run(["sipp", f"127.0.0.1:{sip}", "-sn", "uac", "-s", "4000", "-m", "1",
                        "-d", "3000", "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
                        "-nostdin", "-timeout", "60s"], capture_output=True, cwd=data)
        sipp_dir = data / "sipp"
        sipp_dir.mkdir()
        # Each caller streams speech for the whole hold (SIPp's rtp_stream: a
        # few sender threads on ordinary UDP sockets; play_pcap_audio would open
        # a raw socket per call, and the kernel then checks every loopback
        # packet, Ting's too, against each of them).
        speech = sipp_dir / "speech.al"
        speech.write_bytes(pcap_payloads(sipp.PCAPS / "g711a.pcap"))
        hold_ms = HOLD_MS
        steps = [f'  <nop><action><exec rtp_stream="{speech},-1,8"/></action></nop>',
                 sipp.pause(hold_ms), sipp.bye()]
        scenario = sipp_dir / "hold.xml"
        scenario.write_text(sipp.answered_call("4000", steps))
        sipp_proc = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sip}", "-sf", str(scenario), "-s", "4000", "-m", str(CALLS),
             "-l", str(CALLS), "-r", str(RATE), "-i", "127.0.0.1",
             "-p", str(free_port(socket.SOCK_DGRAM)), "-mp", "40000", "-nostdin",
             "-timeout", f"{hold_ms // 1000 + 120}s", "-trace_stat", "-fd", "1",
             "-stf", str(sipp_dir / "stat.csv")],
            cwd=sipp_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ramp = CALLS / RATE
        window = min(hold_ms / 1000 - ramp - 6, 20)
        if window < 1:
            sys.exit(f"HOLD_MS={hold_ms} leaves no measuring window: CALLS/RATE ramps for {ramp:g} s; "
                     f"use HOLD_MS of at least {int((ramp + 7) * 1000)}")
        time.sleep(ramp + 3)  # all calls up (a benchmark may wait on wall time)
        before, cpu_before = scrape(http), host_cpu()
        t0 = time.time()
        time.sleep(window)
        after, cpu_after = scrape(http), host_cpu()
        t1 = time.time()
        concurrent = gauge(after, "ting_calls_active")
        sipp_proc.wait(timeout=hold_ms / 1000 + 180)
        b0, b1 = cumulative(histogram(before, "ting_rtp_send_interval_seconds")), \
            cumulative(histogram(after, "ting_rtp_send_interval_seconds"))
        diff = {k: b1.get(k, 0) - b0.get(k, 0) for k in b1}
        total = diff.get(float("inf"), 0) or max(diff.values())
        within = diff.get(0.022, 0) - diff.get(0.018, 0)
        if os.environ.get("DETAIL"):
            prev = 0
            for b in sorted(diff):
                print(f"  interval <= {b * 1000:g} ms: {(diff[b] - prev) / max(total, 1):.4f}")
                prev = diff[b]
            t0b, t1b = cumulative(histogram(before, "ting_media_tick_seconds")), \
                cumulative(histogram(after, "ting_media_tick_seconds"))
            tick = {k: t1b.get(k, 0) - t0b.get(k, 0) for k in t1b}
            print("  tick durations (cumulative):", {f"{k * 1000:g}ms": v for k, v in sorted(tick.items())})
            l0, l1 = cumulative(histogram(before, "ting_media_tick_lateness_seconds")), \
                cumulative(histogram(after, "ting_media_tick_lateness_seconds"))
            print("  tick lateness (cumulative):",
                  {f"{k * 1000:g}ms": l1.get(k, 0) - l0.get(k, 0) for k in sorted(l1)})
        p99 = next((b for b in sorted(diff) if diff[b] >= 0.99 * total), float("inf"))
        cpu = gauge(after, "process_cpu_seconds_total") - gauge(before, "process_cpu_seconds_total")
        stat = (sipp_dir / "stat.csv").read_text().splitlines() if (sipp_dir / "stat.csv").exists() else []
        failed = 0
        if len(stat) >= 2:
            head, last = stat[0].split(";"), stat[-1].split(";")
            failed = int(last[head.index("FailedCall(C)")])
        return {"concurrent": concurrent, "failed": failed, "within_18_22": within / max(total, 1),
                "p99_ms": p99 * 1000, "cpu_ms_per_call_s": 1000 * cpu / max(concurrent * (t1 - t0), 1e-9),
                "cpu_share": cpu / (t1 - t0),
                # Time the hypervisor ran someone else on our cores: late ticks
                # follow it, whatever Ting does.
                "host_steal_share": steal_share(cpu_before, cpu_after)}
    finally:
        ting.stop()


def main():
    work = tempfile.mkdtemp(prefix="ting-sipload-")
    results = []
    for i in range(RUNS):
        r = one_run(work)
        results.append(r)
        print(f"run {i + 1}: {r}", flush=True)
    print(f"\nCALLS={CALLS} RATE={RATE}/s HOLD={HOLD_MS} ms, medians of {RUNS} runs:")
    for key in results[0]:
        print(f"  {key}: {statistics.median(r[key] for r in results):.4g}")


if __name__ == "__main__":
    main()
