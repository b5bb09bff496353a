"""Tenants: creation by the operator and strict isolation between tenants."""

import tingtest as T


def test_operator_lists_tenants(api, tok, acme):
    body = T.expect(api("GET", "/api/v1/tenants", token=tok("operator")), 200)
    assert set(body) >= {"items", "next_cursor"}
    slugs = {t["slug"] for t in body["items"]}
    assert {"demo", "acme"} <= slugs, slugs


def test_duplicate_tenant_slug_is_409(api, tok, acme):
    T.assert_error(api("POST", "/api/v1/tenants", token=tok("operator"),
                       json={"slug": "acme", "name": "Acme again", "admin_username": "x",
                             "admin_password": T.OTHER_PASSWORD}), 409, "conflict")


def test_reserved_and_bad_slugs_are_rejected(api, tok):
    op = tok("operator")
    st, _h, body = api("POST", "/api/v1/tenants", token=op,
                       json={"slug": "system", "name": "Sys", "admin_username": "x",
                             "admin_password": T.OTHER_PASSWORD})
    assert st in (409, 422), (st, body)
    T.assert_error(api("POST", "/api/v1/tenants", token=op,
                       json={"slug": "Bad Slug!", "name": "Bad", "admin_username": "x",
                             "admin_password": T.OTHER_PASSWORD}), 422, "invalid_value", "slug")
    T.assert_error(api("POST", "/api/v1/tenants", token=op,
                       json={"slug": T.uniq("ok"), "name": "No admin"}), 400, "missing_field")


def test_new_tenant_admin_sees_only_own_users(shared, acme, demo_ids):
    users = T.list_all(shared, acme["admin_token"], "/api/v1/users")
    names = {u["username"] for u in users}
    assert {"boss", "acme_agent"} <= names, names
    assert not {"admin", "super", "lead", "qa", "op"} & names, names
    assert not {u["id"] for u in users} & {u["id"] for u in demo_ids["users"].values()}


def test_demo_gets_404_for_acme_rows(shared, tok, acme):
    admin = tok("admin")
    cid, uid = acme["customer"]["id"], acme["agent"]["id"]
    for method, path, body in [
        ("GET", f"/api/v1/customers/{cid}", None),
        ("PATCH", f"/api/v1/customers/{cid}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/customers/{cid}", None),
        ("GET", f"/api/v1/users/{uid}", None),
        ("PATCH", f"/api/v1/users/{uid}", {"display_name": "pwned"}),
        ("PATCH", f"/api/v1/users/{uid}", {"password": "Pwned-pass-123"}),
    ]:
        T.assert_error(shared.api(method, path, token=admin, json=body), 404, "not_found")
    # Same for a supervisor (may delete in its own tenant).
    T.assert_error(shared.api("DELETE", f"/api/v1/customers/{cid}", token=tok("supervisor")),
                   404, "not_found")
    # Nothing changed on acme's side.
    c = T.expect(shared.api("GET", f"/api/v1/customers/{cid}", token=acme["admin_token"]), 200)
    assert c["name"] == "Acme Secret Customer"
    u = T.expect(shared.api("GET", f"/api/v1/users/{uid}", token=acme["admin_token"]), 200)
    assert u["display_name"] != "pwned"
    shared.login("acme", "acme_agent", T.OTHER_PASSWORD)


def test_foreign_id_answers_exactly_like_a_missing_id(shared, tok, acme):
    admin = tok("admin")
    _s1, _h1, foreign = shared.api("GET", f"/api/v1/customers/{acme['customer']['id']}",
                                   token=admin)
    _s2, _h2, missing = shared.api("GET", "/api/v1/customers/999999999", token=admin)
    assert foreign["error"]["code"] == missing["error"]["code"] == "not_found"


def test_acme_gets_404_for_demo_rows(shared, tok, acme, demo_ids):
    admin = acme["admin_token"]
    demo_cust = T.create_customer(shared, tok("admin"), name="Demo private customer")
    demo_user = demo_ids["users"]["1001"]
    for method, path, body in [
        ("GET", f"/api/v1/customers/{demo_cust['id']}", None),
        ("PATCH", f"/api/v1/customers/{demo_cust['id']}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/customers/{demo_cust['id']}", None),
        ("GET", f"/api/v1/users/{demo_user['id']}", None),
        ("PATCH", f"/api/v1/users/{demo_user['id']}", {"disabled": True}),
    ]:
        T.assert_error(shared.api(method, path, token=admin, json=body), 404, "not_found")
    T.expect(shared.api("GET", f"/api/v1/customers/{demo_cust['id']}", token=tok("admin")), 200)
    shared.login("demo", "1001", T.DEMO_PASSWORD)


def test_lists_never_show_the_other_tenant(shared, tok, acme):
    demo_admin = tok("admin")
    demo_custs = T.list_all(shared, demo_admin, "/api/v1/customers")
    assert acme["customer"]["id"] not in {c["id"] for c in demo_custs}
    assert "Acme Secret Customer" not in {c["name"] for c in demo_custs}
    demo_users = T.list_all(shared, demo_admin, "/api/v1/users")
    assert not {acme["agent"]["id"], acme["admin_id"]} & {u["id"] for u in demo_users}
    assert not {"boss", "acme_agent"} & {u["username"] for u in demo_users}
    acme_custs = T.list_all(shared, acme["admin_token"], "/api/v1/customers")
    assert acme["customer"]["id"] in {c["id"] for c in acme_custs}
    assert not {c["id"] for c in demo_custs} & {c["id"] for c in acme_custs}


def test_filters_with_foreign_values_return_nothing(shared, tok, acme):
    demo_admin = tok("admin")
    c = acme["customer"]
    for query in [{"phone": c["phone"]}, {"q": "Acme Secret"}, {"q": "secret@acme.example"}]:
        body = T.expect(shared.api("GET", "/api/v1/customers", token=demo_admin, query=query),
                        200)
        assert body["items"] == [], (query, body)
    body = T.expect(shared.api("GET", "/api/v1/users", token=demo_admin,
                               query={"q": "acme_agent"}), 200)
    assert body["items"] == []
    for query in [{"entity_id": c["id"]}, {"actor_id": acme["admin_id"]},
                  {"entity_id": acme["agent"]["id"]}]:
        body = T.expect(shared.api("GET", "/api/v1/audit", token=demo_admin, query=query), 200)
        foreign = [e for e in body["items"]
                   if e["actor_id"] == acme["admin_id"] or e.get("actor") == "boss"
                   or (str(e["entity_id"]) == str(c["id"])
                       and "Acme" in str(e.get("after")))]
        assert foreign == [], (query, foreign)


def test_audit_never_shows_the_other_tenant(shared, tok, acme):
    entries = T.list_all(shared, tok("admin"), "/api/v1/audit")
    acme_actors = {acme["admin_id"]}
    assert entries, "demo has audit entries"
    for e in entries:
        assert e["actor_id"] not in acme_actors, e
        assert "Acme Secret" not in str(e.get("before")) + str(e.get("after")), e
        assert e.get("actor") not in ("boss",), e
    acme_entries = T.list_all(shared, acme["admin_token"], "/api/v1/audit")
    assert acme_entries, "acme's own writes are audited"
    demo_admin_id = T.expect(shared.api("GET", "/api/v1/me", token=tok("admin")), 200)["user"]["id"]
    for e in acme_entries:
        assert e["actor_id"] != demo_admin_id, e


def test_websocket_events_stay_in_their_tenant(shared, tok, acme):
    agent_ws, _ = shared.ws_connect(tok("agent"), topics=["customers"])
    acme_ws, _ = shared.ws_connect(acme["admin_token"], topics=["customers", "audit"])
    try:
        demo_c = T.create_customer(shared, tok("admin"), name=T.uniq("Demo-ws-"))
        T.ws_wait_for(agent_ws, T.is_event("customer.created", "id", demo_c["id"]),
                      what="demo customer.created")
        acme_c = T.create_customer(shared, acme["admin_token"], name=T.uniq("Acme-ws-"))
        _msg, before = T.ws_wait_for(acme_ws, T.is_event("customer.created", "id", acme_c["id"]),
                                     what="acme customer.created")
        for m in before:
            assert m.get("tenant_id") in (None, acme["tenant_id"]), m
            assert demo_c["name"] not in str(m), m
        # And the demo agent does not get acme's event: a later demo event arrives first.
        demo_c2 = T.create_customer(shared, tok("admin"), name=T.uniq("Demo-ws2-"))
        _msg, before = T.ws_wait_for(agent_ws,
                                     T.is_event("customer.created", "id", demo_c2["id"]),
                                     what="second demo customer.created")
        assert all(acme_c["name"] not in str(m) for m in before), before
    finally:
        agent_ws.close()
        acme_ws.close()


def test_operator_is_not_a_tenant_user(shared, tok):
    op = tok("operator")
    for path in ["/api/v1/customers", "/api/v1/users", "/api/v1/audit"]:
        T.assert_error(shared.api("GET", path, token=op), 403, "forbidden")
