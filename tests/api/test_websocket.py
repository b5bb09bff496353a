"""WebSocket /api/v1/events: handshake, topics, events, control messages."""

import contextlib

import pytest
import websocket

import tingtest as T


@contextlib.contextmanager
def connected(shared, token, topics=None, via="header"):
    ws, hello = shared.ws_connect(token, topics=topics, via=via)
    try:
        yield ws, hello
    finally:
        ws.close()


def pong_next(ws):
    """Sends a ping; returns the messages that arrived before the pong."""
    T.ws_send_json(ws, {"type": "ping"})
    _msg, before = T.ws_wait_for(ws, lambda m: m.get("type") == "pong", what="pong")
    return before


def test_hello_with_header_token(shared, tok):
    with connected(shared, tok("agent")) as (_ws, hello):
        assert hello["type"] == "hello"
        assert set(hello["topics"]) == T.topics_for("agent"), hello
        assert hello["user"]["username"] == "1001"
        assert not any("password" in k for k in hello["user"])


def test_hello_with_query_token(shared, tok):
    with connected(shared, tok("qa_inspector"), via="query") as (_ws, hello):
        assert hello["type"] == "hello"
        assert set(hello["topics"]) == T.topics_for("qa_inspector"), hello
        assert hello["user"]["username"] == "qa"


@pytest.mark.parametrize("role", ["team_lead", "supervisor", "admin"])
def test_default_topics_per_role(shared, tok, role):
    with connected(shared, tok(role)) as (_ws, hello):
        assert set(hello["topics"]) == T.topics_for(role), hello


def test_customer_events_reach_subscribed_agent(shared, tok, demo_ids):
    with connected(shared, tok("agent")) as (ws, _hello):
        c = T.create_customer(shared, tok("admin"), name=T.uniq("Ws-"), phone="13822223333")
        ev, _ = T.ws_wait_for(ws, T.is_event("customer.created", "id", c["id"]),
                              what="customer.created")
        assert ev["topic"] == "customers"
        assert ev["tenant_id"] == demo_ids["tenant_id"]
        assert T.RFC3339_MS.match(ev["at"]), ev
        assert ev["data"]["name"] == c["name"]
        T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=tok("admin"),
                            json={"company": "Updated Co"}), 200)
        ev, _ = T.ws_wait_for(ws, T.is_event("customer.updated", "id", c["id"]),
                              what="customer.updated")
        assert ev["data"]["company"] == "Updated Co"
        assert shared.api("DELETE", f"/api/v1/customers/{c['id']}",
                          token=tok("admin"))[0] == 204
        T.ws_wait_for(ws, T.is_event("customer.deleted", "id", c["id"]),
                      what="customer.deleted")


def test_event_not_delivered_to_other_tenant(shared, tok, acme):
    with connected(shared, tok("agent"), topics=["customers"]) as (demo_ws, _h1), \
            connected(shared, acme["admin_token"]) as (acme_ws, _h2):
        c = T.create_customer(shared, tok("admin"), name=T.uniq("WsDemo-"))
        T.ws_wait_for(demo_ws, T.is_event("customer.created", "id", c["id"]),
                      what="demo event")
        before = pong_next(acme_ws)
        assert not [m for m in before if c["name"] in str(m)], before
        mine = T.create_customer(shared, acme["admin_token"], name=T.uniq("WsAcme-"))
        _ev, before = T.ws_wait_for(acme_ws, T.is_event("customer.created", "id", mine["id"]),
                                    what="acme's own event")
        assert not [m for m in before if c["name"] in str(m)], before


def test_topics_narrowing(shared, tok):
    with connected(shared, tok("agent"), topics=["calls"]) as (narrow, hello), \
            connected(shared, tok("agent"), topics=["customers"]) as (observer, hello2):
        assert hello["topics"] == ["calls"]
        assert hello2["topics"] == ["customers"]
        c = T.create_customer(shared, tok("admin"))
        T.ws_wait_for(observer, T.is_event("customer.created", "id", c["id"]), what="event")
        before = pong_next(narrow)
        assert before == [], before


def test_subscribe_and_unsubscribe(shared, tok):
    with connected(shared, tok("agent"), topics=["calls"]) as (ws, _h), \
            connected(shared, tok("agent"), topics=["customers"]) as (observer, _h2):
        T.ws_send_json(ws, {"type": "subscribe", "topics": ["customers"]})
        msg, _ = T.ws_wait_for(ws, lambda m: m.get("type") == "subscribed", what="subscribed")
        assert set(msg["topics"]) == {"calls", "customers"}, msg
        c = T.create_customer(shared, tok("admin"))
        T.ws_wait_for(ws, T.is_event("customer.created", "id", c["id"]), what="event")
        T.ws_send_json(ws, {"type": "unsubscribe", "topics": ["customers"]})
        msg, _ = T.ws_wait_for(ws, lambda m: m.get("type") == "subscribed", what="subscribed")
        assert set(msg["topics"]) == {"calls"}, msg
        c2 = T.create_customer(shared, tok("admin"))
        T.ws_wait_for(observer, T.is_event("customer.created", "id", c2["id"]), what="event")
        assert pong_next(ws) == []


def test_subscribing_to_a_forbidden_topic_mid_session(shared, tok):
    with connected(shared, tok("agent")) as (ws, _h):
        T.ws_send_json(ws, {"type": "subscribe", "topics": ["audit"]})
        msg, _ = T.ws_wait_for(ws, lambda m: m.get("type") in ("subscribed", "error"),
                               what="reply")
        if msg["type"] == "subscribed":
            assert "audit" not in msg["topics"], msg
        else:
            assert isinstance(msg["error"], dict) and msg["error"].get("code"), msg
        # No audit event arrives for a write; the connection still answers.
        c = T.create_customer(shared, tok("admin"))
        T.ws_wait_for(ws, T.is_event("customer.created", "id", c["id"]), what="event")
        before = pong_next(ws)
        assert not [m for m in before if m.get("topic") == "audit"], before


@pytest.mark.parametrize("role,topic", [("agent", "audit"), ("agent", "users"),
                                        ("qa_inspector", "calls"), ("supervisor", "audit"),
                                        ("operator", "customers")])
def test_forbidden_topic_rejects_handshake_403(shared, tok, role, topic):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        shared.ws_connect(tok(role), topics=[topic])
    assert e.value.status_code == 403


def test_unknown_topic_is_rejected(shared, tok):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        shared.ws_connect(tok("admin"), topics=["nonsense"])
    assert e.value.status_code in (400, 403, 422)


@pytest.mark.parametrize("via", ["header", "query"])
def test_bad_token_rejects_handshake_401(shared, via):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        shared.ws_connect("tk_bogus", via=via)
    assert e.value.status_code == 401


def test_revoked_token_rejects_handshake_401(shared):
    token = shared.login("demo", "1005", T.DEMO_PASSWORD)
    assert shared.api("POST", "/api/v1/auth/logout", token=token)[0] == 204
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        shared.ws_connect(token)
    assert e.value.status_code == 401


def test_ping_pong(shared, tok):
    with connected(shared, tok("agent")) as (ws, _h):
        for _ in range(3):
            T.ws_send_json(ws, {"type": "ping"})
            msg = T.ws_recv_json(ws)
            assert msg == {"type": "pong"} or msg.get("type") == "pong", msg


@pytest.mark.parametrize("raw", ["not json", "[]", "42", '{"type":"bogus"}', "{}",
                                 '{"type":"subscribe","topics":"customers"}',
                                 '{"type":"subscribe"}', '{"type":'])
def test_malformed_message_gets_error_and_stays_open(shared, tok, raw):
    with connected(shared, tok("agent")) as (ws, _h):
        ws.send(raw)
        msg, _ = T.ws_wait_for(ws, lambda m: m.get("type") == "error", what="error reply")
        assert isinstance(msg.get("error"), dict) and msg["error"].get("code"), msg
        assert isinstance(msg["error"].get("message"), str), msg
        assert pong_next(ws) == []


def test_message_over_limit_closes_1009(shared, tok):
    ws, _h = shared.ws_connect(tok("agent"))
    try:
        ws.send('{"type":"ping","pad":"' + "x" * 70000 + '"}')
        assert T.ws_close_code(ws) == 1009
    finally:
        ws.close()
    # The server is fine and other clients are unaffected.
    with connected(shared, tok("agent")) as (ws2, _h2):
        assert pong_next(ws2) == []


def test_users_topic_for_team_lead(shared, tok):
    with connected(shared, tok("team_lead"), topics=["users"]) as (ws, hello):
        assert hello["topics"] == ["users"]
        u = T.create_user(shared, tok("admin"), "agent")
        ev, _ = T.ws_wait_for(ws, T.is_event("user.created", "id", u["id"]),
                              what="user.created")
        assert ev["topic"] == "users"
        assert "password" not in ev["data"] and not any("hash" in k for k in ev["data"])
        T.expect(shared.api("PATCH", f"/api/v1/users/{u['id']}", token=tok("admin"),
                            json={"display_name": "Renamed"}), 200)
        T.ws_wait_for(ws, T.is_event("user.updated", "id", u["id"]), what="user.updated")


def test_audit_topic_for_admin(shared, tok):
    with connected(shared, tok("admin"), topics=["audit"]) as (ws, _h):
        c = T.create_customer(shared, tok("admin"))

        def pred(m):
            return m.get("event") == "audit.appended" and \
                str((m.get("data") or {}).get("entity_id")) == str(c["id"])
        ev, _ = T.ws_wait_for(ws, pred, what="audit.appended")
        assert ev["topic"] == "audit"


def test_many_clients_all_get_the_event(shared, tok):
    conns = [shared.ws_connect(tok("agent"), topics=["customers"])[0] for _ in range(8)]
    try:
        c = T.create_customer(shared, tok("admin"))
        for ws in conns:
            T.ws_wait_for(ws, T.is_event("customer.created", "id", c["id"]), what="event")
    finally:
        for ws in conns:
            ws.close()
