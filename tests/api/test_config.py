"""Configuration sources: defaults < TOML file (--config) < TING_* env < flags."""

import socket
import subprocess

import tingtest as T


def padded(size):
    """A valid customer body of exactly `size` bytes (JSON whitespace padding)."""
    head = b'{"name":"padded"}'
    return head + b" " * (size - len(head))


def post_size(srv, token, size):
    req = (f"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {size}\r\n\r\n").encode() + padded(size)
    return T.raw_http(srv.port, req)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def write_config(srv, text):
    path = srv.workdir / "ting.toml"
    path.write_text(text)
    return str(path)


def test_file_is_honoured_and_flags_beat_env_beat_file(server_factory):
    srv = server_factory(name="cfg1", start=False)
    file_port, env_port = T.free_port(), T.free_port()
    cfg = write_config(srv, f"""
[http]
body_limit = 2048
listen = "127.0.0.1:{file_port}"

[auth]
max_failed_logins = 3
backoff_after = 3
""")
    srv.args = ["--config", cfg]
    srv.env = {"TING_HTTP": f"127.0.0.1:{env_port}"}
    srv.start()  # Server passes --http with a third port and waits for it to answer.
    assert refused(file_port) and refused(env_port)
    admin = srv.role_token("admin")
    # body_limit from the file.
    T.assert_error(post_size(srv, admin, 3000), 413, "body_too_large")
    st, _h, body = post_size(srv, admin, 1500)
    assert st == 201, (st, body)
    # max_failed_logins from the file.
    for i in range(3):
        st, _h, _b = srv.api("POST", "/api/v1/auth/login",
                             json={"tenant": "demo", "username": "1002",
                                   "password": f"wrong-{i}-pass"})
        assert st in (401, 429)
    T.assert_error(srv.api("POST", "/api/v1/auth/login",
                           json={"tenant": "demo", "username": "1002",
                                 "password": T.DEMO_PASSWORD}), 429, "account_locked")


def test_env_overrides_file(server_factory):
    srv = server_factory(name="cfg2", start=False)
    cfg = write_config(srv, "[http]\nbody_limit = 2048\n")
    srv.args = ["--config", cfg]
    srv.env = {"TING_HTTP_BODY_LIMIT": "4096"}
    srv.start()
    admin = srv.role_token("admin")
    st, _h, body = post_size(srv, admin, 3000)
    assert st == 201, (st, body)
    T.assert_error(post_size(srv, admin, 5000), 413, "body_too_large")


def test_env_alone_sets_limits(server_factory):
    srv = server_factory(name="cfg3", env={"TING_HTTP_HEADER_LIMIT": "2048",
                                           "TING_HTTP_WS_MESSAGE_LIMIT": "1024"})
    req = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {'a' * 3000}\r\n\r\n").encode()
    T.assert_error(T.raw_http(srv.port, req), 431, "headers_too_large")
    req = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {'a' * 1000}\r\n\r\n").encode()
    assert T.raw_http(srv.port, req)[0] == 200
    ws, _hello = srv.ws_connect(srv.role_token("agent"))
    try:
        ws.send('{"type":"ping","pad":"' + "x" * 2000 + '"}')
        assert T.ws_close_code(ws) == 1009
    finally:
        ws.close()


def test_bad_config_is_refused_with_the_key_named(server_factory):
    srv = server_factory(name="cfgbad", start=False)
    srv.port, srv.sip_port = T.free_port(), T.free_port()
    for text, needle in [("[http]\nbody_limitt = 5\n", "body_limitt"),
                         ("[http]\nbody_limit = \"big\"\n", "body_limit"),
                         ("[http]\nbody_limit = 5\n", "body_limit"),
                         ("[nonsense]\nx = 1\n", "nonsense"),
                         ("this is not toml", "")]:
        cfg = write_config(srv, text)
        out = subprocess.run(srv.command() + ["--config", cfg], capture_output=True, text=True,
                             timeout=60, env=T.server_env(), stdin=subprocess.DEVNULL)
        assert out.returncode != 0, text
        assert needle in out.stdout + out.stderr, (text, out.stderr)
    out = subprocess.run(srv.command() + ["--config", str(srv.workdir / "missing.toml")],
                         capture_output=True, text=True, timeout=60, env=T.server_env())
    assert out.returncode != 0


def test_bad_env_value_is_refused(server_factory):
    srv = server_factory(name="envbad", start=False)
    srv.port, srv.sip_port = T.free_port(), T.free_port()
    out = subprocess.run(srv.command(), capture_output=True, text=True, timeout=60,
                         env=T.server_env({"TING_AUTH_TOKEN_TTL": "soon"}))
    assert out.returncode != 0
    assert "TING_AUTH_TOKEN_TTL" in out.stdout + out.stderr


def test_ting_config_env_names_the_file(server_factory):
    srv = server_factory(name="cfg4", start=False)
    cfg = write_config(srv, "[http]\nbody_limit = 2048\n")
    srv.env = {"TING_CONFIG": cfg}
    srv.start()
    admin = srv.role_token("admin")
    T.assert_error(post_size(srv, admin, 3000), 413, "body_too_large")
