"""Helpers for the Ting HTTP/WebSocket integration tests.

Stdlib only (plus websocket-client for the WebSocket tests). Everything here
talks to a real `ting serve` process; nothing is faked.

Environment:
  TING_BIN            the binary (default <repo>/build/asan/ting)
  TING_TEST_BACKEND   sqlite (default) or postgres
  TING_TEST_PG_URL    postgresql://ting@127.0.0.1:PORT/postgres of a trust-auth
                      cluster; when unset with the postgres backend, the suite
                      starts a private one with tests/pg_cluster.sh
"""

import http.client
import json as _json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TING_BIN = os.environ.get("TING_BIN") or str(REPO / "build" / "asan" / "ting")
BACKEND = os.environ.get("TING_TEST_BACKEND", "sqlite")
DEMO_PASSWORD = "Demo-pass-2024"
OPERATOR_PASSWORD = "Operator-pass-2024"
OTHER_PASSWORD = "Other-pass-2024"
REQUEST_TIMEOUT = 30
START_TIMEOUT = 90
STOP_TIMEOUT = 20

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
USER_KEYS = {"id", "username", "display_name", "phone", "role", "disabled", "created_at",
             "updated_at"}
CUSTOMER_KEYS = {"id", "name", "phone", "email", "company", "notes", "vip", "created_at",
                 "updated_at"}
AUDIT_KEYS = {"id", "at", "actor_id", "actor", "entity", "entity_id", "action", "before",
              "after", "request_id"}

# Demo accounts by role (all with DEMO_PASSWORD) and the operator the suite creates.
DEMO_USERS = {
    "agent": "1001",
    "team_lead": "lead",
    "qa_inspector": "qa",
    "supervisor": "super",
    "admin": "admin",
}
ROLES = ["agent", "team_lead", "qa_inspector", "supervisor", "admin", "operator"]

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ThreadSanitizer", "SUMMARY: UndefinedBehaviorSanitizer")

# Servers alive during the current test; their log tails are attached to failures.
LIVE_SERVERS = []


def uniq(prefix="t"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def poll(fn, timeout, interval=0.05, what="condition"):
    """Calls fn() until it returns something truthy; returns that. Fails at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def server_env(extra=None):
    """The environment for ting: ours, minus any TING_* setting of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TING_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- HTTP

def _parse_body(raw, content_type):
    if not raw:
        return None
    if (content_type or "").startswith("audio/"):
        return raw
    text = raw.decode("utf-8", errors="replace")
    if "json" in (content_type or "") or text[:1] in "{[":
        try:
            return _json.loads(text)
        except ValueError:
            return text
    return text


def http_request(port, method, path, token=None, json=None, headers=None, data=None,
                 query=None, timeout=REQUEST_TIMEOUT):
    """One request on a fresh connection. Returns (status, headers, body): headers is an
    http.client.HTTPMessage (case-insensitive get), body the parsed JSON, text or None."""
    if query:
        sep = "&" if "?" in path else "?"
        path = path + sep + urllib.parse.urlencode(query)
    hdrs = {"Accept": "application/json"}
    body = None
    if json is not None:
        body = _json.dumps(json).encode()
        hdrs["Content-Type"] = "application/json"
    if data is not None:
        body = data if isinstance(data, bytes) else data.encode()
        hdrs.setdefault("Content-Type", "application/json")
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if headers:
        hdrs.update(headers)
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, resp.headers, _parse_body(raw, resp.headers.get("Content-Type"))
    finally:
        conn.close()


def read_response(sock):
    """Reads one HTTP/1.1 response (Content-Length framed) from a connected socket,
    tolerating a reset after the response. Returns (status, headers, body) with
    lower-case header names."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
    if b"\r\n\r\n" not in buf:
        raise AssertionError(f"no complete response head, got {buf[:200]!r}")
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    length = int(hdrs.get("content-length", "0") or 0)
    while len(rest) < length:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        rest += chunk
    return status, hdrs, _parse_body(rest, hdrs.get("content-type"))


def server_has_read(client_sock):
    """True once the server end of this loopback connection has nothing unread in its
    receive queue (from /proc/net/tcp): the server has read every byte we sent."""
    lport = client_sock.getsockname()[1]
    sport = client_sock.getpeername()[1]
    want_local = f"0100007F:{sport:04X}"
    want_remote = f"0100007F:{lport:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == want_local and cols[2] == want_remote:
                return int(cols[4].split(":")[1], 16) == 0
    return False


def raw_http(port, request, timeout=REQUEST_TIMEOUT):
    """Sends raw request bytes and reads one response, tolerating the server closing
    early (e.g. 413/431 before the whole request is sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(s)
    finally:
        s.close()


def raw_request_bytes(method, path, token=None, json=None, headers=None):
    body = _json.dumps(json).encode() if json is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if json is not None:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def assert_error(resp, status, code=None, field=None):
    """Asserts the documented error shape: {"error":{"code","message","field"?}}."""
    st, _hdrs, body = resp
    assert st == status, f"expected {status}, got {st}: {body!r}"
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), \
        f"not the error shape: {body!r}"
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str), body
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert err["code"] in codes, f"code {err['code']!r} not in {codes}: {body!r}"
    if field is not None:
        assert err.get("field") == field, f"field {err.get('field')!r} != {field!r}: {body!r}"
    return err


def expect(resp, status):
    st, _h, body = resp
    assert st == status, f"expected {status}, got {st}: {body!r}"
    return body


# ---------------------------------------------------------------- PostgreSQL

class PgCluster:
    """A trust-auth PostgreSQL cluster: given by TING_TEST_PG_URL, or started here."""

    def __init__(self):
        self.dir = None
        self.base_url = os.environ.get("TING_TEST_PG_URL")
        if not self.base_url:
            self.dir = tempfile.mkdtemp(prefix="ting-pg-")
            os.chmod(self.dir, 0o755)
            out = subprocess.run([str(REPO / "tests" / "pg_cluster.sh"), "start", self.dir],
                                 capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                raise RuntimeError(f"pg_cluster.sh start failed: {out.stderr}")
            self.base_url = out.stdout.strip().splitlines()[-1]

    def create_db(self):
        name = "t_" + uuid.uuid4().hex[:12]
        out = subprocess.run(["psql", self.base_url, "-v", "ON_ERROR_STOP=1", "-qc",
                              f"CREATE DATABASE {name}"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"CREATE DATABASE failed: {out.stderr}")
        return self.base_url.rsplit("/", 1)[0] + "/" + name

    def close(self):
        if self.dir:
            subprocess.run([str(REPO / "tests" / "pg_cluster.sh"), "stop", self.dir],
                           capture_output=True, timeout=120)
            if os.environ.get("TING_TEST_KEEP") != "1":
                import shutil
                shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- the server

class Server:
    """One `ting serve` process on a data dir (and, for postgres, its own database)."""

    _count = 0

    def __init__(self, workdir, db_url=None, env=None, args=None, demo=True, data_dir=None,
                 name=None):
        Server._count += 1
        self.name = name or f"ting{Server._count}"
        self.workdir = Path(workdir)
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url
        self.env = dict(env or {})
        self.args = list(args or [])
        self.demo = demo
        self.log_path = self.workdir / f"{self.name}.log"
        self.proc = None
        self.port = None
        self.sip_port = None
        self._tokens = {}
        self._log_file = None

    # -- process

    def db_args(self):
        args = ["--data", str(self.data_dir)]
        if self.db_url:
            args += ["--db", self.db_url]
        return args

    def command(self):
        cmd = [TING_BIN, "serve"] + self.db_args() + [
            "--http", f"127.0.0.1:{self.port}", "--sip", f"127.0.0.1:{self.sip_port}"]
        if self.demo:
            cmd += ["--demo", "--demo-password", DEMO_PASSWORD]
        return cmd + self.args

    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.port = free_port()
        self.sip_port = free_port()
        self._tokens = {}
        if self._log_file is None:
            self._log_file = open(self.log_path, "ab", buffering=0)
        self._log_file.write(f"=== start: {' '.join(self.command())}\n".encode())
        self.proc = subprocess.Popen(self.command(), stdout=self._log_file,
                                     stderr=subprocess.STDOUT, env=server_env(self.env),
                                     cwd=str(self.workdir))
        if self not in LIVE_SERVERS:
            LIVE_SERVERS.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready:\n"
                    + self.log_tail())
            try:
                st, _h, _b = http_request(self.port, "GET", "/healthz", timeout=5)
                return st == 200
            except OSError:
                return False
        poll(ready, timeout, interval=0.05, what=f"{self.name} /healthz")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        self.stop()
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=150):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def sanitizer_reports(self):
        text = self.log_text()
        return [m for m in SANITIZER_MARKERS if m in text]

    def cli(self, *args, timeout=120, check=False):
        """Runs `ting <args> --data DIR [--db URL]`."""
        cmd = [TING_BIN] + list(args) + self.db_args()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             env=server_env(self.env), cwd=str(self.workdir))
        if check:
            assert out.returncode == 0, f"{cmd} -> {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out

    # -- HTTP

    def api(self, method, path, token=None, json=None, headers=None, **kw):
        return http_request(self.port, method, path, token=token, json=json, headers=headers,
                            **kw)

    def login(self, tenant, username, password):
        st, _h, body = self.api("POST", "/api/v1/auth/login",
                                json={"tenant": tenant, "username": username,
                                      "password": password})
        assert st == 200, f"login {tenant}/{username} -> {st}: {body!r}"
        return body["token"]

    def token(self, tenant, username, password=DEMO_PASSWORD):
        key = (tenant, username)
        if key not in self._tokens:
            self._tokens[key] = self.login(tenant, username, password)
        return self._tokens[key]

    def role_token(self, role):
        """A token of the demo user of `role`, or of the suite's operator."""
        if role == "operator":
            return self.token("system", "op", OPERATOR_PASSWORD)
        return self.token("demo", DEMO_USERS[role])

    def create_operator(self, username="op", password=OPERATOR_PASSWORD):
        self.cli("user", "add", username, "--tenant", "system", "--role", "operator",
                 "--password", password, check=True)

    def metrics(self):
        st, _h, body = self.api("GET", "/metrics", headers={"Accept": "text/plain"})
        assert st == 200, st
        return body

    def ws_url(self, query=None):
        url = f"ws://127.0.0.1:{self.port}/api/v1/events"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def ws_connect(self, token=None, topics=None, via="header", timeout=10):
        """Opens the event WebSocket and returns (ws, hello)."""
        import websocket
        query = {}
        header = []
        if topics is not None:
            query["topics"] = ",".join(topics)
        if token is not None:
            if via == "header":
                header.append(f"Authorization: Bearer {token}")
            else:
                query["token"] = token
        ws = websocket.create_connection(self.ws_url(query), timeout=timeout, header=header)
        hello = ws_recv_json(ws, timeout)
        return ws, hello


# ---------------------------------------------------------------- WebSocket helpers

def ws_recv_json(ws, timeout=10):
    ws.settimeout(timeout)
    msg = ws.recv()
    if msg == "":
        raise AssertionError("the server closed the WebSocket")
    return _json.loads(msg)


def ws_close_code(ws, timeout=10):
    """Reads until the server's close frame; returns its status code (None if absent).
    Returns "eof" when the TCP connection ended without a close frame."""
    import struct
    import websocket
    ws.settimeout(timeout)
    try:
        while True:
            # recv_frame, not recv_data_frame: the latter answers the close frame itself
            # and would turn a server that already hung up into a BrokenPipeError.
            frame = ws.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                data = frame.data or b""
                return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
    except (websocket.WebSocketConnectionClosedException, ConnectionResetError,
            BrokenPipeError):
        return "eof"


def documented_topics():
    """{topic: frozenset(roles)} from the topic table in docs/api.md."""
    text = (REPO / "docs" / "api.md").read_text()
    section = text.split("Topics and who may receive them", 1)[1]
    topics = {}
    for line in section.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) < 3 or not cols[0].startswith("`"):
            continue
        roles = frozenset(r.strip() for r in cols[1].split(","))
        for t in re.findall(r"`([a-z_]+)`", cols[0]):
            topics[t] = roles
    assert "customers" in topics and "audit" in topics, topics
    return topics


def topics_for(role):
    return {t for t, roles in documented_topics().items() if role in roles}


def ws_wait_for(ws, predicate, timeout=10, what="message"):
    """Reads messages until predicate(msg) holds; returns (msg, messages_seen_before)."""
    import websocket
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {what} within {timeout}s; got {seen!r}")
        ws.settimeout(left)
        try:
            raw = ws.recv()
            if raw == "":
                raise AssertionError(f"WebSocket closed while waiting for {what}; got {seen!r}")
            msg = _json.loads(raw)
        except websocket.WebSocketTimeoutException:
            raise AssertionError(f"no {what} within {timeout}s; got {seen!r}")
        if predicate(msg):
            return msg, seen
        seen.append(msg)


def ws_send_json(ws, obj):
    ws.send(_json.dumps(obj))


def is_event(name, key=None, value=None):
    def pred(msg):
        if msg.get("type") != "event" or msg.get("event") != name:
            return False
        if key is None:
            return True
        return str((msg.get("data") or {}).get(key)) == str(value)
    return pred


# ---------------------------------------------------------------- docs/api.md

def documented_routes():
    """[(method, path, roles)] from the route table in docs/api.md; roles is
    'public', 'any' or a frozenset of role names."""
    text = (REPO / "docs" / "api.md").read_text()
    section = text.split("## Routes", 1)[1].split("\n## ", 1)[0]
    routes = []
    for line in section.splitlines():
        m = re.match(r"^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`\s*\|\s*([^|]+)\|", line)
        if not m:
            continue
        method, path, roles = m.group(1), m.group(2), m.group(3).strip()
        if roles not in ("public", "any"):
            roles = frozenset(r.strip() for r in roles.split(","))
        routes.append((method, path, roles))
    assert len(routes) >= 15, f"route table not found in docs/api.md: {routes}"
    return routes


def route_allows(roles, role):
    if roles in ("public", "any"):
        return True
    return role in roles


# ---------------------------------------------------------------- domain helpers

def list_all(srv, token, path, query=None, limit=200):
    """Walks every page of a list endpoint; returns all items."""
    items = []
    q = dict(query or {})
    q["limit"] = limit
    for _ in range(1000):
        body = expect(srv.api("GET", path, token=token, query=q), 200)
        items += body["items"]
        if not body.get("next_cursor"):
            return items
        q["cursor"] = body["next_cursor"]
    raise AssertionError("pagination never ended")


def find_user(srv, admin_token, username):
    for u in list_all(srv, admin_token, "/api/v1/users", {"q": username}):
        if u["username"] == username:
            return u
    raise AssertionError(f"user {username} not found")


def create_customer(srv, token, **fields):
    body = {"name": fields.pop("name", uniq("Cust-"))}
    body.update(fields)
    return expect(srv.api("POST", "/api/v1/customers", token=token, json=body), 201)


def create_user(srv, admin_token, role, username=None, password=OTHER_PASSWORD, **fields):
    body = {"username": username or uniq("u"), "password": password, "role": role}
    body.update(fields)
    return expect(srv.api("POST", "/api/v1/users", token=admin_token, json=body), 201)


def run_in_thread(fn):
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - reported to the caller
            result["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, result


# ---------------------------------------------------------------- telephony helpers

def tiny_flow(text="Hello"):
    """A valid IVR flow document: says `text`, then hangs up."""
    return {"start": "hello",
            "nodes": {"hello": {"type": "play", "prompt": text, "next": "bye"},
                      "bye": {"type": "hangup"}}}


_SINE_WAV = {}


def sine_wav(rate=16000, seconds=1):
    """A mono 16-bit WAV of a 440 Hz tone, made with sox (cached)."""
    key = (rate, seconds)
    if key not in _SINE_WAV:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tone.wav")
            subprocess.run(["sox", "-n", "-r", str(rate), "-b", "16", "-c", "1", path,
                            "synth", str(seconds), "sine", "440"], check=True, timeout=60)
            with open(path, "rb") as f:
                _SINE_WAV[key] = f.read()
    return _SINE_WAV[key]


def put_prompt(srv, token, name, data, content_type="audio/wav"):
    return srv.api("PUT", f"/api/v1/prompts/{name}", token=token, data=data,
                   headers={"Content-Type": content_type})


def create_trunk(srv, admin_token, **fields):
    body = {"name": fields.pop("name", uniq("trunk-")), "outbound_uri": "sip:gw.example.com"}
    body.update(fields)
    return expect(srv.api("POST", "/api/v1/trunks", token=admin_token, json=body), 201)
