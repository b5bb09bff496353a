"""Customers and users: round trips, partial updates, deletes, concurrency, HTTP details."""

import http.client
import json
import threading

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
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)
