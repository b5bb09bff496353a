"""Runs baresip as a phone for the telephony suite and drives it over
ctrl_tcp (netstring-framed JSON commands, responses and events).

Each phone gets its own config dir, SIP port, RTP range and control port, so
tests may run side by side. Audio comes from a WAV (aufile) and what the phone
hears is discarded (aubridge) or, with `keep_heard`, written by sndfile."""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import sipp

BARESIP = "/usr/bin/baresip"
MODULES = "/usr/lib/baresip/modules"
SOX = "/usr/bin/sox"


def tone_wav(path, freq, seconds, pad_seconds=5.0, volume=0.5):
    """An 8 kHz 16-bit mono WAV: a sine of `freq` Hz, then silence (aufile ends the
    call when its file ends, so the silence keeps a late call alive)."""
    subprocess.run([SOX, "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", str(freq), "vol", str(volume),
                    "pad", "0", str(pad_seconds)], check=True, capture_output=True, timeout=60)
    return Path(path)


def free_sip_port():
    """A port free for UDP and TCP, with the next one free for TCP: baresip
    listens on UDP and TCP at sip_listen and on TLS one port up."""
    for _ in range(50):
        port = sipp.free_port("udp")
        if port >= 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tls:
                s.bind(("127.0.0.1", port))
                tls.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free for UDP, TCP and TLS")


def _netstring(obj):
    body = json.dumps(obj).encode()
    return str(len(body)).encode() + b":" + body + b","


class Baresip:
    """One baresip process with one account.

    `user`/`password`: the account (AOR sip:<user>@<domain>), registering via
    Ting's SIP port with digest auth. `answermode` is baresip's (`manual`, `auto`);
    `sip_trace` logs every SIP message to the phone's log; with `keep_heard` the
    phone writes what it hears in each call to a WAV (see `heard`)."""

    def __init__(self, workdir, server_sip_port, user, password, domain="demo.ting",
                 audio_source=None, answermode="manual", codecs="pcmu", regint=60,
                 keep_heard=False, sip_trace=False):
        self.dir = Path(tempfile.mkdtemp(prefix=f"baresip-{user}-", dir=str(workdir)))
        self.user, self.domain = user, domain
        self.sip_port = free_sip_port()
        self.ctrl_port = sipp.free_port("tcp")
        rtp = sipp.free_port("udp", even=True)
        self.rtp_range = (rtp, rtp + 9)
        self.aor = f"sip:{user}@{domain}"
        # Without a WAV the phone sends nothing (an aubridge device no player feeds).
        source = f"aufile,{audio_source}" if audio_source else "aubridge,silence"
        modules = ["g711.so", "aufile.so", "aubridge.so", "ctrl_tcp.so"]
        extra = []
        self.heard_dir = self.dir / "heard"
        if keep_heard:
            self.heard_dir.mkdir()
            modules.append("sndfile.so")
            extra.append(f"snd_path        {self.heard_dir}")
        config = [
            f"sip_listen      127.0.0.1:{self.sip_port}",
            f"rtp_ports       {self.rtp_range[0]}-{self.rtp_range[1]}",
            f"audio_source    {source}",
            "audio_player    aubridge,sinkA",
            "audio_alert     aubridge,sinkA",
            f"module_path     {MODULES}",
            *[f"module          {m}" for m in modules],
            "module_tmp      uuid.so",
            "module_tmp      account.so",
            "module_app      menu.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            *extra,
        ]
        (self.dir / "config").write_text("\n".join(config) + "\n")
        account = (f"<{self.aor}>;auth_pass={password};"
                   f"outbound=\"sip:127.0.0.1:{server_sip_port}\";regint={regint};"
                   f"answermode={answermode};audio_codecs={codecs}")
        (self.dir / "accounts").write_text(account + "\n")
        self.sip_trace = sip_trace
        self.log_path = self.dir / "baresip.log"
        self.proc = None
        self.sock = None
        self.events = []
        self._responses = {}
        self._cond = threading.Condition()
        self._reader = None
        self._token = 0

    # -- process

    def start(self, timeout=15):
        log = open(self.log_path, "wb")
        cmd = [BARESIP, "-f", str(self.dir)] + (["-s"] if self.sip_trace else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"baresip exited with {self.proc.returncode}:\n"
                                     + self.log_tail())
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise AssertionError("baresip's ctrl_tcp never listened:\n" + self.log_tail())
                time.sleep(0.05)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def stop(self, timeout=10):
        """Asks baresip to quit (it unregisters first), kills it when it does not."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        if self._reader is not None:
            self._reader.join(5)

    def heard(self):
        """The WAVs of what the phone heard (sndfile's *-dec.wav), oldest first."""
        return sorted(self.heard_dir.glob("*-dec.wav"))

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars=3000):
        """The end of the log without baresip's per-second audio status lines."""
        lines = [ln for ln in self.log_text().splitlines()
                 if ln.strip() and not re.match(r"^\s*\[\d+:\d\d:\d\d\] audio=", ln)]
        return "\n".join(lines)[-chars:]

    # -- ctrl_tcp

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buf += chunk
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                size = int(buf[:colon])
                if len(buf) < colon + 1 + size + 1:
                    break
                msg = json.loads(buf[colon + 1:colon + 1 + size])
                buf = buf[colon + 1 + size + 1:]
                with self._cond:
                    if msg.get("event"):
                        msg["received_at"] = time.monotonic()
                        self.events.append(msg)
                    elif msg.get("response"):
                        self._responses[msg.get("token")] = msg
                    self._cond.notify_all()

    def send(self, command, params=None):
        self._token += 1
        token = f"t{self._token}"
        msg = {"command": command, "token": token}
        if params is not None:
            msg["params"] = params
        self.sock.sendall(_netstring(msg))
        return token

    def command(self, command, params=None, timeout=10):
        """Sends a command and returns baresip's response data (text)."""
        token = self.send(command, params)
        with self._cond:
            if not self._cond.wait_for(lambda: token in self._responses, timeout):
                raise AssertionError(f"no response from baresip to {command}")
            resp = self._responses.pop(token)
        assert resp.get("ok"), f"baresip refused {command}: {resp}"
        return resp.get("data", "")

    def wait_event(self, kind, timeout=20, pred=None):
        """Returns the first event of type `kind` (e.g. CALL_ESTABLISHED) that
        satisfies `pred`, waiting up to `timeout` seconds."""
        def find():
            for e in self.events:
                if e.get("type") == kind and (pred is None or pred(e)):
                    return e
            return None
        with self._cond:
            found = self._cond.wait_for(find, timeout)
        if not found:
            raise AssertionError(f"baresip reported no {kind} within {timeout}s; events: "
                                 f"{[e.get('type') for e in self.events]}\n{self.log_tail()}")
        return found

    def registration_state(self):
        """'OK', 'ERR' or another word from `reginfo` for this phone's account."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.command("reginfo"))
        for line in text.splitlines():
            if self.aor in line:
                rest = line.split(self.aor, 1)[1].split()
                return rest[0] if rest else ""
        return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
