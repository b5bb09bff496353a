"""The `ting` process: command line, shutdown, crash durability, backup, restarts."""

import re
import signal
import socket
import sqlite3
import subprocess
import threading

import pytest

import tingtest as T

HELP_COMMANDS = [[], ["serve"], ["migrate"], ["user"], ["user", "add"], ["user", "passwd"],
                 ["user", "list"], ["backup"], ["version"]]


def run(*args, timeout=60):
    return subprocess.run([T.TING_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=T.server_env(), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("cmd", HELP_COMMANDS, ids=lambda c: " ".join(c) or "ting")
def test_help(cmd):
    out = run(*cmd, "--help")
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr)
    text = out.stdout + out.stderr
    assert len(text.strip()) > 20, text
    if cmd:
        assert cmd[-1] in text, text
    assert "AddressSanitizer" not in text


def test_version():
    out = run("version")
    assert out.returncode == 0, out.stderr
    assert re.search(r"\d+\.\d+\.\d+", out.stdout), out.stdout


def test_unknown_subcommand_and_flag_fail():
    out = run("frobnicate")
    assert out.returncode != 0
    assert out.stderr.strip(), "an error message is expected on stderr"
    out = run("serve", "--no-such-flag")
    assert out.returncode != 0
    assert "no-such-flag" in out.stderr, out.stderr


def test_serve_with_bad_listen_address_fails_fast(tmp_path):
    out = run("serve", "--data", str(tmp_path), "--http", "127.0.0.1:notaport",
              "--sip", f"127.0.0.1:{T.free_port()}")
    assert out.returncode != 0


def test_serve_refuses_a_busy_port(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        port = s.getsockname()[1]
        out = run("serve", "--data", str(tmp_path), "--http", f"127.0.0.1:{port}",
                  "--sip", f"127.0.0.1:{T.free_port()}", timeout=60)
        assert out.returncode != 0
    finally:
        s.close()


def test_sigterm_with_request_in_flight_exits_0(server_factory):
    srv = server_factory(name="term")
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    try:
        # Warm the connection so the server is certainly reading from it.
        sock.sendall(T.raw_request_bytes("GET", "/healthz"))
        assert T.read_response(sock)[0] == 200
        sock.sendall(T.raw_request_bytes("POST", "/api/v1/auth/login",
                                         json={"tenant": "demo", "username": "1001",
                                               "password": T.DEMO_PASSWORD}))
        # The request is in flight once the server has read it off the socket.
        T.poll(lambda: T.server_has_read(sock), 5, interval=0.001, what="server to read")
        srv.proc.send_signal(signal.SIGTERM)
        st, _h, body = T.read_response(sock)
        assert st in (200, 503), (st, body)
        if st == 503:
            T.assert_error((st, _h, body), 503, "shutting_down")
    finally:
        sock.close()
    rc = srv.proc.wait(T.STOP_TIMEOUT)
    assert rc == 0, f"exit code {rc}"


def test_sigterm_while_idle_exits_0_and_closes_websockets(server_factory):
    srv = server_factory(name="term2")
    ws, _hello = srv.ws_connect(srv.role_token("agent"))
    try:
        srv.proc.send_signal(signal.SIGTERM)
        code = T.ws_close_code(ws, timeout=T.STOP_TIMEOUT)
        assert code in (1001, 1012, "eof"), code
    finally:
        ws.close()
    assert srv.proc.wait(T.STOP_TIMEOUT) == 0


def test_kill9_after_201_keeps_the_record(server_factory):
    srv = server_factory(name="crash")
    admin = srv.role_token("admin")
    made = [T.create_customer(srv, admin, name=f"Durable {i}", phone=f"1390000{i:04d}")
            for i in range(15)]
    last = T.expect(srv.api("PATCH", f"/api/v1/customers/{made[0]['id']}", token=admin,
                            json={"notes": "patched before crash"}), 200)
    user = T.create_user(srv, admin, "agent")
    srv.kill9()
    srv.start()
    admin = srv.role_token("admin")
    for c in made:
        got = T.expect(srv.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
        assert got["name"] == c["name"]
    got = T.expect(srv.api("GET", f"/api/v1/customers/{made[0]['id']}", token=admin), 200)
    assert got["notes"] == last["notes"] == "patched before crash"
    srv.login("demo", user["username"], T.OTHER_PASSWORD)
    # The audit entries written with them survived too.
    audit = T.list_all(srv, admin, "/api/v1/audit", {"entity_id": made[-1]["id"]})
    assert audit, "audit entry lost"


def test_backup_while_serving(server_factory, tmp_path):
    if T.BACKEND != "sqlite":
        pytest.skip("`ting backup` copies the SQLite data dir; PostgreSQL has pg_dump")
    srv = server_factory(name="backup")
    admin = srv.role_token("admin")
    before = [T.create_customer(srv, admin, name=f"Before backup {i}") for i in range(10)]
    stop = threading.Event()
    during = []
    errors = []

    def writer():
        while not stop.is_set():
            st, _h, body = srv.api("POST", "/api/v1/customers", token=admin,
                                   json={"name": T.uniq("During-")})
            if st != 201:
                errors.append((st, body))
                return
            during.append(body)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    T.poll(lambda: len(during) >= 3, 20, what="writes in progress")
    dest = tmp_path / "copy"
    out = srv.cli("backup", str(dest), timeout=120)
    stop.set()
    t.join(30)
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert not errors, errors
    db = dest / "ting.db"
    assert db.exists(), list(dest.iterdir()) if dest.exists() else "no dest"
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    copy = server_factory(name="restored", data_dir=str(dest))
    tok = copy.role_token("admin")
    for c in before + during[:3]:
        got = T.expect(copy.api("GET", f"/api/v1/customers/{c['id']}", token=tok), 200)
        assert got["name"] == c["name"]
    n_copy = len(T.list_all(copy, tok, "/api/v1/customers", {"q": "During-"}))
    assert 3 <= n_copy <= len(during)
    # The original keeps serving.
    T.create_customer(srv, admin)


def all_state(srv):
    admin = srv.role_token("admin")
    users = T.list_all(srv, admin, "/api/v1/users")
    custs = T.list_all(srv, admin, "/api/v1/customers")
    return (sorted((u["id"], u["username"], u["role"]) for u in users),
            sorted((c["id"], c["name"]) for c in custs))


def test_restart_is_idempotent(server_factory):
    srv = server_factory(name="restart")
    users1, custs1 = all_state(srv)
    assert len(users1) >= 9 and custs1, (users1, custs1)
    assert {u[1] for u in users1} >= {"admin", "super", "lead", "qa", "1001", "1002", "1003",
                                      "1004", "1005"}
    assert srv.stop() == 0
    srv.start()
    assert all_state(srv) == (users1, custs1)
    assert srv.stop() == 0
    for _ in range(2):
        srv.cli("migrate", check=True)
    srv.start()
    assert all_state(srv) == (users1, custs1)


def test_demo_password_is_applied_at_start(server_factory):
    srv = server_factory(name="demopw")
    srv.cli("user", "passwd", "1001", "--tenant", "demo", "--password", "Changed-by-cli-1",
            check=True)
    srv.login("demo", "1001", "Changed-by-cli-1")
    assert srv.stop() == 0
    srv.start()
    srv.login("demo", "1001", T.DEMO_PASSWORD)


def test_cli_user_commands_while_serving(shared):
    name = T.uniq("clerk")
    shared.cli("user", "add", name, "--tenant", "demo", "--role", "agent", "--password",
               T.OTHER_PASSWORD, check=True)
    shared.login("demo", name, T.OTHER_PASSWORD)
    out = shared.cli("user", "list", "--tenant", "demo", check=True)
    lines = out.stdout.splitlines()
    mine = [ln for ln in lines if re.search(rf"\b{name}\b", ln)]
    assert len(mine) == 1 and "agent" in mine[0], out.stdout
    assert any(re.search(r"\b1001\b", ln) and "agent" in ln for ln in lines), out.stdout
    assert any(re.search(r"\badmin\b", ln) for ln in lines), out.stdout
    assert "argon2" not in out.stdout
    shared.cli("user", "passwd", name, "--tenant", "demo", "--password", "Cli-changed-2",
               check=True)
    shared.login("demo", name, "Cli-changed-2")
    st, _h, _b = shared.api("POST", "/api/v1/auth/login",
                            json={"tenant": "demo", "username": name,
                                  "password": T.OTHER_PASSWORD})
    assert st == 401
    # Errors are reported, not crashed on.
    dup = shared.cli("user", "add", name, "--tenant", "demo", "--role", "agent", "--password",
                     T.OTHER_PASSWORD)
    assert dup.returncode != 0 and dup.stderr.strip()
    bad = shared.cli("user", "add", T.uniq("x"), "--tenant", "demo", "--role", "emperor",
                     "--password", T.OTHER_PASSWORD)
    assert bad.returncode != 0 and "role" in bad.stderr
    none = shared.cli("user", "passwd", T.uniq("ghost"), "--tenant", "demo", "--password",
                      "Whatever-pass-1")
    assert none.returncode != 0
    for out in (dup, bad, none):
        assert "Sanitizer" not in out.stderr


def test_user_list_of_system_tenant_shows_operator(shared):
    out = shared.cli("user", "list", "--tenant", "system", check=True)
    assert any(re.search(r"\bop\b", ln) and "operator" in ln for ln in out.stdout.splitlines())


def test_fresh_data_dir_without_demo(server_factory):
    srv = server_factory(name="nodemo", demo=False)
    st, _h, _b = srv.api("POST", "/api/v1/auth/login",
                         json={"tenant": "demo", "username": "admin",
                               "password": T.DEMO_PASSWORD})
    assert st == 401
    T.expect(srv.api("GET", "/healthz"), 200)


def test_kill9_during_concurrent_writes_loses_nothing_acknowledged(server_factory):
    srv = server_factory(name="crash2")
    admin = srv.role_token("admin")
    acked, lock, stop = [], threading.Lock(), threading.Event()
    bad = []

    def writer(n):
        i = 0
        while not stop.is_set():
            try:
                st, _h, body = srv.api("POST", "/api/v1/customers", token=admin,
                                       json={"name": f"Acked {n}-{i}"}, timeout=10)
            except OSError:
                return  # the server is gone
            if st == 201:
                with lock:
                    acked.append(body)
            elif st >= 500:
                bad.append((st, body))
            i += 1
    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    T.poll(lambda: len(acked) >= 40, 60, what="40 acknowledged writes")
    srv.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    assert not bad, bad[:3]
    srv.start()
    admin = srv.role_token("admin")
    have = {c["id"] for c in T.list_all(srv, admin, "/api/v1/customers", {"q": "Acked "})}
    lost = [c for c in acked if c["id"] not in have]
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged customers lost: {lost[:3]}"


def test_sigterm_during_writes_answers_or_refuses_cleanly(server_factory):
    srv = server_factory(name="term3")
    admin = srv.role_token("admin")
    acked, bad, lock, stop = [], [], threading.Lock(), threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            try:
                st, _h, body = srv.api("POST", "/api/v1/customers", token=admin,
                                       json={"name": f"Term {n}-{i}"}, timeout=20)
            except OSError:
                return
            with lock:
                if st == 201:
                    acked.append(body)
                elif st != 503:
                    bad.append((st, body))
                elif body["error"]["code"] != "shutting_down":
                    bad.append((st, body))
            i += 1
    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    T.poll(lambda: len(acked) >= 20, 60, what="20 acknowledged writes")
    srv.proc.send_signal(signal.SIGTERM)
    rc = srv.proc.wait(T.STOP_TIMEOUT)
    stop.set()
    for t in threads:
        t.join(30)
    assert rc == 0
    assert not bad, bad[:3]
    srv.start()
    admin = srv.role_token("admin")
    have = {c["id"] for c in T.list_all(srv, admin, "/api/v1/customers", {"q": "Term "})}
    assert {c["id"] for c in acked} <= have


def test_help_config_lists_every_environment_variable():
    out = run("help", "config")
    assert out.returncode == 0, out.stderr
    for env in ["TING_HTTP_BODY_LIMIT", "TING_HTTP_HEADER_LIMIT", "TING_HTTP_WS_MESSAGE_LIMIT",
                "TING_AUTH_TOKEN_TTL", "TING_AUTH_BACKOFF_AFTER", "TING_AUTH_MAX_FAILED_LOGINS",
                "TING_AUTH_LOCKOUT", "TING_LOG_LEVEL"]:
        assert env in out.stdout, env


def test_backup_refuses_a_destination_inside_the_data_dir(tmp_path):
    data = tmp_path / "data"
    assert run("migrate", "--data", str(data)).returncode == 0
    r = run("backup", str(data / "inside"), "--data", str(data))
    assert r.returncode == 2
    assert "inside the data directory" in r.stderr
    assert not (data / "inside").exists(), "nothing is created when the backup is refused"
