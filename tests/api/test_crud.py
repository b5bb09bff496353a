"""Customers and users: round trips, partial updates, deletes, concurrency, HTTP details."""

import http.client
import json
import socket
import threading
import time

import tingtest as T


def test_customer_round_trip(shared, tok):
    admin = tok("admin")
    body = {"name": "王芳 Wang Fang", "phone": "+86 138-0013-8000", "email": "wf@example.cn",
            "company": "北京某公司", "notes": "第一次来电 — first call ☎", "vip": True}
    c = T.expect(shared.api("POST", "/api/v1/customers", token=admin, json=body), 201)
    assert set(c) >= T.CUSTOMER_KEYS, c
    for k, v in body.items():
        if k != "phone":
            assert c[k] == v, (k, c[k])
    assert c["phone"]
    got = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=tok("agent")), 200)
    assert got == c or {k: got[k] for k in T.CUSTOMER_KEYS} == {k: c[k] for k in T.CUSTOMER_KEYS}
    found = T.list_all(shared, admin, "/api/v1/customers", {"q": "王芳"})
    assert c["id"] in {x["id"] for x in found}


def test_optional_fields_default(shared, tok):
    c = T.create_customer(shared, tok("agent"), name="Minimal")
    assert c["vip"] is False
    for k in ("phone", "email", "company", "notes"):
        assert c[k] in (None, ""), (k, c[k])
    assert T.RFC3339_MS.match(c["created_at"]) and T.RFC3339_MS.match(c["updated_at"])


def test_patch_changes_only_given_fields(shared, tok):
    admin = tok("admin")
    c = T.create_customer(shared, admin, name="Patchy", email="p@example.com", company="Old Co")
    got = T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=tok("agent"),
                              json={"company": "New Co"}), 200)
    assert got["company"] == "New Co"
    assert got["name"] == "Patchy" and got["email"] == "p@example.com"
    assert got["created_at"] == c["created_at"]
    assert got["updated_at"] >= c["updated_at"]
    again = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert again["company"] == "New Co" and again["email"] == "p@example.com"


def test_delete_then_gone(shared, tok):
    sup = tok("supervisor")
    c = T.create_customer(shared, sup)
    st, _h, body = shared.api("DELETE", f"/api/v1/customers/{c['id']}", token=sup)
    assert st == 204 and body is None
    for method, b in [("GET", None), ("PATCH", {"name": "zombie"}), ("DELETE", None)]:
        T.assert_error(shared.api(method, f"/api/v1/customers/{c['id']}", token=sup, json=b),
                       404, "not_found")
    items = T.list_all(shared, sup, "/api/v1/customers", {"q": c["name"]})
    assert c["id"] not in {x["id"] for x in items}


def test_user_create_and_patch(shared, tok):
    admin = tok("admin")
    u = T.expect(shared.api("POST", "/api/v1/users", token=admin,
                            json={"username": T.uniq("zs"), "password": T.OTHER_PASSWORD,
                                  "role": "team_lead", "display_name": "张三",
                                  "phone": "13600001234"}), 201)
    assert set(u) >= T.USER_KEYS
    assert not any("password" in k or "hash" in k for k in u)
    assert u["role"] == "team_lead" and u["display_name"] == "张三" and u["disabled"] is False
    got = T.expect(shared.api("PATCH", f"/api/v1/users/{u['id']}", token=admin,
                              json={"role": "qa_inspector", "display_name": "张三丰"}), 200)
    assert got["role"] == "qa_inspector" and got["display_name"] == "张三丰"
    assert got["phone"] == u["phone"]
    seen = T.expect(shared.api("GET", f"/api/v1/users/{u['id']}", token=tok("supervisor")), 200)
    assert seen["role"] == "qa_inspector"


def test_short_password_is_422(shared, tok):
    T.assert_error(shared.api("POST", "/api/v1/users", token=tok("admin"),
                              json={"username": T.uniq("u"), "password": "x",
                                    "role": "agent"}), 422, "invalid_value", "password")


def test_duplicate_username_is_per_tenant(shared, tok, acme):
    # acme may have its own "1001".
    u = T.create_user(shared, acme["admin_token"], "agent", username="1001")
    assert u["username"] == "1001"
    shared.login("acme", "1001", T.OTHER_PASSWORD)
    shared.login("demo", "1001", T.DEMO_PASSWORD)


def test_concurrent_creates_all_succeed(shared, tok):
    admin = tok("admin")
    prefix = T.uniq("Conc-")
    results, lock = [], threading.Lock()

    def worker(n):
        for i in range(10):
            r = shared.api("POST", "/api/v1/customers", token=admin,
                           json={"name": f"{prefix}{n}-{i}"})
            with lock:
                results.append(r)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bad = [(st, b) for st, _h, b in results if st != 201]
    assert not bad, bad[:5]
    ids = [b["id"] for _st, _h, b in results]
    assert len(ids) == 80 and len(set(ids)) == 80
    listed = T.list_all(shared, admin, "/api/v1/customers", {"q": prefix})
    assert {c["id"] for c in listed} == set(ids)


def test_concurrent_logins_and_reads(shared, tok):
    errors = []

    def worker():
        try:
            t = shared.login("demo", "1002", T.DEMO_PASSWORD)
            for _ in range(5):
                T.expect(shared.api("GET", "/api/v1/me", token=t), 200)
                T.expect(shared.api("GET", "/api/v1/customers", token=t,
                                    query={"limit": 5}), 200)
        except AssertionError as e:
            errors.append(str(e))
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors


def test_keep_alive_connection_serves_many_requests(shared, tok):
    conn = http.client.HTTPConnection("127.0.0.1", shared.port, timeout=30)
    try:
        for i in range(20):
            conn.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {tok('agent')}"})
            r = conn.getresponse()
            body = json.loads(r.read())
            assert r.status == 200 and body["user"]["username"] == "1001"
        # An error response does not spoil the connection.
        conn.request("POST", "/api/v1/customers", body=b"{bad",
                     headers={"Authorization": f"Bearer {tok('agent')}",
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        assert r.status == 400
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    finally:
        conn.close()


def test_rest_routes_do_not_take_the_token_from_the_url(shared, tok):
    """Only the WebSocket accepts ?token=: URLs end up in logs and histories."""
    st, _h, body = shared.api("GET", "/api/v1/me", query={"token": tok("agent")})
    assert st in (400, 401), (st, body)


def test_405_lists_allowed_methods(shared, tok):
    st, h, _b = shared.api("DELETE", "/api/v1/customers", token=tok("admin"))
    assert st == 405
    allow = {m.strip() for m in (h.get("Allow") or "").split(",") if m.strip()}
    assert {"GET", "POST"} <= allow, h.get("Allow")


def test_injection_shaped_input_is_just_data(shared, tok):
    admin = tok("admin")
    evil = "Robert'); DROP TABLE customers;--"
    c = T.create_customer(shared, admin, name=evil, notes="%_\\' OR 1=1 --")
    got = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert got["name"] == evil
    for q in ["' OR '1'='1", "%", "_", "\\", "\"", "%' --", evil]:
        st, _h, body = shared.api("GET", "/api/v1/customers", token=admin, query={"q": q})
        assert st == 200, (q, st, body)
        if q in ("%", "_"):
            # LIKE wildcards are matched literally, not as "everything".
            texts = [" ".join(str(x.get(k) or "") for k in
                              ("name", "phone", "email", "company", "notes"))
                     for x in body["items"]]
            assert all(q in t for t in texts), (q, texts)
    body = T.expect(shared.api("GET", "/api/v1/customers", token=admin, query={"q": evil}), 200)
    assert c["id"] in {x["id"] for x in body["items"]}
    T.expect(shared.api("GET", "/api/v1/customers", token=admin), 200)


def test_user_list_pagination_and_audit_pagination(shared, tok):
    admin = tok("admin")
    users = []
    q = {"limit": 2, "sort": "username"}
    for _ in range(100):
        body = T.expect(shared.api("GET", "/api/v1/users", token=admin, query=q), 200)
        users += body["items"]
        if not body["next_cursor"]:
            break
        q["cursor"] = body["next_cursor"]
    names = [u["username"] for u in users]
    assert len(names) == len(set(names)) and names == sorted(names) and len(names) >= 9
    entries, q = [], {"limit": 3}
    for _ in range(5):
        body = T.expect(shared.api("GET", "/api/v1/audit", token=admin, query=q), 200)
        entries += body["items"]
        if not body["next_cursor"]:
            break
        q["cursor"] = body["next_cursor"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)) and len(ids) >= 9


def test_nul_characters_round_trip_or_are_refused(shared, tok):
    """A string with U+0000 is valid JSON: store it exactly or refuse it, never truncate."""
    admin = tok("admin")
    st, _h, c = shared.api("POST", "/api/v1/customers", token=admin,
                           json={"name": "a\u0000b", "notes": "x\u0000y"})
    if st in (400, 422):
        T.assert_error((st, _h, c), st)
        return
    assert st == 201, (st, c)
    got = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert (got["name"], got["notes"]) == (c["name"], c["notes"]) == ("a\u0000b", "x\u0000y"), \
        f"stored {got['name']!r}/{got['notes']!r}, answered {c['name']!r}/{c['notes']!r}"


def test_login_identifiers_are_not_truncated_at_nul(shared):
    for body in [{"tenant": "demo\u0000x", "username": "admin", "password": T.DEMO_PASSWORD},
                 {"tenant": "demo", "username": "admin\u0000x", "password": T.DEMO_PASSWORD}]:
        st, _h, got = shared.api("POST", "/api/v1/auth/login", json=body)
        assert st in (400, 401, 422), (body, st, got)


def test_free_text_search_with_nul_is_not_match_all(shared, tok):
    """A NUL in a query parameter is refused (400 naming it), never read as an empty search."""
    admin = tok("admin")
    T.create_customer(shared, admin, name=T.uniq("NoNul-"))
    status, _, body = shared.api("GET", "/api/v1/customers", token=admin,
                                 query={"q": "\u0000", "limit": 200})
    if status == 400:
        assert body["error"]["code"] == "invalid_query" and body["error"]["field"] == "q", body
        return
    assert status == 200, body
    fields = ("name", "phone", "email", "company", "notes")
    wrong = [c["name"] for c in body["items"]
             if not any("\u0000" in (c.get(k) or "") for k in fields)]
    assert not wrong, f"q=U+0000 matched {len(wrong)} customers without it, e.g. {wrong[:3]}"


def test_phone_and_username_cannot_make_login_ambiguous(shared, tok):
    """Login takes a username or a phone: a phone equal to another user's username (or a
    username equal to another user's phone) is refused, or its owner can still log in."""
    admin = tok("admin")
    a = T.create_user(shared, admin, "agent", password="Pass-A-12345")
    b = T.create_user(shared, admin, "agent", password="Pass-B-12345")
    # b's phone is a's username.
    digits = str(int(time.time() * 1000000))[-9:]
    a_name = "8" + digits
    st, _h, body = shared.api("POST", "/api/v1/users", token=admin,
                              json={"username": a_name, "password": "Pass-A-12345",
                                    "role": "agent"})
    assert st == 201, body
    st, _h, body = shared.api("PATCH", f"/api/v1/users/{b['id']}", token=admin,
                              json={"phone": a_name})
    if st == 200:
        st2, _h2, got = shared.api("POST", "/api/v1/auth/login",
                                   json={"tenant": "demo", "username": a_name,
                                         "password": "Pass-B-12345"})
        assert st2 == 200 and got["user"]["id"] == b["id"], \
            f"user {b['id']} was given phone {a_name} (another user's username) and can " \
            f"no longer log in by phone: {st2} {got}"
    else:
        T.assert_error((st, _h, body), 409, "conflict", "phone")
    # a's phone becomes a username later.
    phone = "7" + digits
    T.expect(shared.api("PATCH", f"/api/v1/users/{a['id']}", token=admin,
                        json={"phone": phone}), 200)
    st, _h, body = shared.api("POST", "/api/v1/users", token=admin,
                              json={"username": phone, "password": "Pass-C-12345",
                                    "role": "agent"})
    if st == 201:
        st2, _h2, got = shared.api("POST", "/api/v1/auth/login",
                                   json={"tenant": "demo", "username": phone,
                                         "password": "Pass-A-12345"})
        assert st2 == 200 and got["user"]["id"] == a["id"], \
            f"a new username equal to user {a['id']}'s phone locked them out of phone " \
            f"login: {st2} {got}"
    else:
        T.assert_error((st, _h, body), 409, "conflict", "username")


class _Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed; have {self.buf[:100]!r}"
            self.buf += chunk
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed mid-body"
            rest += chunk
        self.buf = rest[length:]
        return int(lines[0].split()[1]), rest[:length]


def test_pipelined_requests_are_answered_in_order(shared, tok):
    reqs = (T.raw_request_bytes("GET", "/healthz")
            + T.raw_request_bytes("GET", "/api/v1/me", token=tok("agent"))
            + T.raw_request_bytes("GET", "/api/v1/nope")
            + T.raw_request_bytes("GET", "/api/v1/me"))
    s = socket.create_connection(("127.0.0.1", shared.port), timeout=30)
    try:
        s.sendall(reqs)
        r = _Reader(s)
        got = [r.response() for _ in range(4)]
    finally:
        s.close()
    assert [st for st, _b in got] == [200, 200, 404, 401], got
    assert json.loads(got[1][1])["user"]["username"] == "1001"


def test_chunked_bodies_work_and_respect_the_limit(shared, tok):
    token = tok("admin")
    head = (f"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n").encode()
    body = b'{"name":"Chunked"}'
    st, _h, got = T.raw_http(shared.port, head + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert st == 201 and got["name"] == "Chunked", (st, got)
    pad = b" " * 65536
    chunks = b"".join(b"%x\r\n" % len(pad) + pad + b"\r\n" for _ in range(17))
    st, _h, got = T.raw_http(shared.port, head + b"%x\r\n" % len(body) + body + b"\r\n"
                             + chunks + b"0\r\n\r\n")
    T.assert_error((st, _h, got), 413, "body_too_large")


def test_slow_client_is_cut_off_by_the_request_timeout(server_factory):
    srv = server_factory(name="slowloris", env={"TING_HTTP_REQUEST_TIMEOUT": "1"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
        t0 = time.monotonic()
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            data = b""
        assert time.monotonic() - t0 < 10
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:100]
    finally:
        s.close()
    T.expect(srv.api("GET", "/healthz"), 200)
