"""Role-based access: every documented route x every role, allowed vs 403."""

import random

import pytest
import websocket

import tingtest as T

ROUTES = T.documented_routes()
MATRIX_ROLES = T.ROLES + ["department"]
# Covered by test_password_and_logout_for_every_role (they change the caller's session).
SESSION_ROUTES = {("PUT", "/api/v1/me/password"), ("POST", "/api/v1/auth/logout")}


@pytest.fixture(scope="module")
def ctx(shared, tok):
    admin = tok("admin")
    cache = {}

    def role_token(role):
        if role == "department":
            if "department" not in cache:
                u = T.create_user(shared, admin, "department")
                cache["department"] = shared.login("demo", u["username"], T.OTHER_PASSWORD)
            return cache["department"]
        return tok(role)

    me = T.expect(shared.api("GET", "/api/v1/me", token=admin), 200)
    # Every role's demo user gets a phone extension, so each may set its SIP password.
    for n, role in enumerate(["team_lead", "qa_inspector", "supervisor", "admin", "department"]):
        uid = T.expect(shared.api("GET", "/api/v1/me", token=role_token(role)), 200)["user"]["id"]
        T.expect(shared.api("PATCH", f"/api/v1/users/{uid}", token=admin,
                            json={"sip_extension": f"77{n:02d}"}), 200)
    flow = T.uniq("rbac_flow")
    T.expect(shared.api("POST", "/api/v1/ivr/flows", token=admin,
                        json={"name": flow, "document": T.tiny_flow("RBAC")}), 201)
    prompt = T.uniq("rbac_prompt")
    T.expect(T.put_prompt(shared, admin, prompt, T.sine_wav()), 201)
    return {
        "token": role_token,
        "customer": T.create_customer(shared, admin, name="Rbac target customer"),
        "user": T.create_user(shared, admin, "agent", display_name="Rbac target user"),
        "tenant_id": me["tenant"]["id"],
        "flow": flow,
        "prompt": prompt,
        "trunk": T.create_trunk(shared, admin),
        "work_order": T.expect(shared.api("POST", "/api/v1/work-orders", token=admin,
                                          json={"subject": "Rbac target work order"}), 201),
        "category": T.expect(shared.api("POST", "/api/v1/work-order-categories", token=admin,
                                        json={"name": T.uniq("rbac-cat")}), 201),
        "calendar": T.expect(shared.api("POST", "/api/v1/business-calendars", token=admin,
                                        json={"name": T.uniq("rbac-cal"),
                                              "weekly": {"mon": ["09:00-18:00"]}}), 201),
        "kb": T.expect(shared.api("POST", "/api/v1/kb", token=admin,
                                  json={"kind": "article", "lang": "en", "title": "Rbac",
                                        "body": "Rbac target article"}), 201),
        "policy": T.expect(shared.api("POST", "/api/v1/sla-policies", token=admin,
                                      json={"name": T.uniq("rbac-policy"), "active": False,
                                            "position": 9999}), 201),
    }


def random_number():
    return "+86" + "".join(random.choice("0123456789") for _ in range(11))


def request_for(shared, tok, ctx, method, path, role="admin"):
    """(method, path, json, status expected when allowed, check after a 403)."""
    admin = tok("admin")
    cid, uid = ctx["customer"]["id"], ctx["user"]["id"]
    if (method, path) == ("GET", "/healthz"):
        return method, path, None, 200, None
    if (method, path) == ("GET", "/metrics"):
        return method, path, None, 200, None
    if (method, path) == ("GET", "/api/v1/openapi.json"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/auth/login"):
        return method, path, {"tenant": "demo", "username": "1005",
                              "password": T.DEMO_PASSWORD}, 200, None
    if (method, path) == ("GET", "/api/v1/me"):
        return method, path, None, 200, None
    if (method, path) == ("GET", "/api/v1/tenants"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/tenants"):
        slug = T.uniq("rb")
        return method, path, {"slug": slug, "name": "Rbac " + slug, "admin_username": "a1",
                              "admin_password": T.OTHER_PASSWORD}, 201, None
    if (method, path) == ("GET", "/api/v1/users"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/users"):
        return method, path, {"username": T.uniq("rb"), "password": T.OTHER_PASSWORD,
                              "role": "agent"}, 201, None
    if (method, path) == ("GET", "/api/v1/users/{id}"):
        return method, f"/api/v1/users/{uid}", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/users/{id}"):
        def unchanged():
            u = T.expect(shared.api("GET", f"/api/v1/users/{uid}", token=admin), 200)
            assert u["display_name"] != f"by-{role}", u
        return method, f"/api/v1/users/{uid}", {"display_name": f"by-{role}"}, 200, unchanged
    if (method, path) == ("GET", "/api/v1/customers"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/customers"):
        return method, path, {"name": T.uniq("Rbac-")}, 201, None
    if (method, path) == ("GET", "/api/v1/customers/{id}"):
        return method, f"/api/v1/customers/{cid}", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/customers/{id}"):
        return method, f"/api/v1/customers/{cid}", {"notes": "patched"}, 200, None
    if (method, path) == ("DELETE", "/api/v1/customers/{id}"):
        victim = T.create_customer(shared, admin)["id"]

        def still_there():
            T.expect(shared.api("GET", f"/api/v1/customers/{victim}", token=admin), 200)
        return method, f"/api/v1/customers/{victim}", None, 204, still_there
    if (method, path) == ("GET", "/api/v1/audit"):
        return method, path, None, 200, None
    if (method, path) in (("GET", "/api/v1/calls"), ("GET", "/api/v1/calls/active"),
                          ("GET", "/api/v1/sip/registrations")):
        return method, path, None, 200, None
    # No calls in this suite: an allowed role learns the call does not exist.
    if (method, path) == ("GET", "/api/v1/calls/{id}"):
        return method, "/api/v1/calls/no-such-call", None, 404, None
    if (method, path) == ("GET", "/api/v1/calls/{id}/recording"):
        return method, "/api/v1/calls/no-such-call/recording", None, 404, None
    if method == "POST" and path in ("/api/v1/calls/{id}/hold", "/api/v1/calls/{id}/resume",
                                     "/api/v1/calls/{id}/hangup"):
        return method, path.replace("{id}", "no-such-call"), None, 404, None
    if (method, path) == ("PUT", "/api/v1/calls/{id}/recording"):
        return method, "/api/v1/calls/no-such-call/recording", {"paused": True}, 404, None
    if (method, path) == ("POST", "/api/v1/calls/{id}/consult"):
        return method, "/api/v1/calls/no-such-call/consult", {"agent": "1003"}, 404, None
    if (method, path) in (("POST", "/api/v1/calls/{id}/consult/complete"),
                          ("DELETE", "/api/v1/calls/{id}/consult")):
        return method, path.replace("{id}", "no-such-call"), None, 404, None
    if (method, path) == ("POST", "/api/v1/calls/{id}/monitor"):
        return method, "/api/v1/calls/no-such-call/monitor", {"mode": "listen"}, 404, None
    if (method, path) == ("DELETE", "/api/v1/calls/{id}/monitor"):
        return method, "/api/v1/calls/no-such-call/monitor", None, 404, None
    if (method, path) == ("PUT", "/api/v1/calls/{id}/priority"):
        return method, "/api/v1/calls/no-such-call/priority", {"priority": 5}, 404, None
    if (method, path) == ("POST", "/api/v1/calls/{id}/transfer"):
        return method, "/api/v1/calls/no-such-call/transfer", {"queue": "support"}, 404, None
    tid, flow, prompt = ctx["tenant_id"], ctx["flow"], ctx["prompt"]
    trunk_id = ctx["trunk"]["id"]
    if (method, path) == ("GET", "/api/v1/tenants/{id}"):
        return method, f"/api/v1/tenants/{tid}", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/tenants/{id}"):
        return method, f"/api/v1/tenants/{tid}", {"recording_retention_days": 30}, 200, None
    if (method, path) == ("PUT", "/api/v1/users/{id}/sip-password"):
        me = T.expect(shared.api("GET", "/api/v1/me", token=ctx["token"](role)), 200)
        return method, f"/api/v1/users/{me['user']['id']}/sip-password", \
            {"password": T.OTHER_PASSWORD}, 204, None
    if (method, path) in (("GET", "/api/v1/ivr/flows"), ("GET", "/api/v1/dids"),
                          ("GET", "/api/v1/trunks"), ("GET", "/api/v1/prompts")):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/ivr/flows"):
        return method, path, {"name": T.uniq("rb"), "document": T.tiny_flow()}, 201, None
    if (method, path) in (("GET", "/api/v1/ivr/flows/{name}"),
                          ("GET", "/api/v1/ivr/flows/{name}/versions")):
        return method, path.replace("{name}", flow), None, 200, None
    if (method, path) == ("GET", "/api/v1/ivr/flows/{name}/versions/{version}"):
        return method, f"/api/v1/ivr/flows/{flow}/versions/1", None, 200, None
    if (method, path) == ("PUT", "/api/v1/ivr/flows/{name}"):
        def not_published():
            got = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{flow}", token=admin), 200)
            assert got["document"] != T.tiny_flow(f"by-{role}"), got
        return method, f"/api/v1/ivr/flows/{flow}", {"document": T.tiny_flow(f"by-{role}")}, \
            200, not_published
    if (method, path) == ("POST", "/api/v1/ivr/flows/{name}/rollback"):
        return method, f"/api/v1/ivr/flows/{flow}/rollback", {"version": 1}, 200, None
    if (method, path) == ("PUT", "/api/v1/dids/{number}"):
        number = random_number()

        def absent():
            dids = T.list_all(shared, admin, "/api/v1/dids")
            assert number not in {d["number"] for d in dids}
        return method, f"/api/v1/dids/{number}", {"flow": flow}, 201, absent
    if (method, path) == ("DELETE", "/api/v1/dids/{number}"):
        number = random_number()
        T.expect(shared.api("PUT", f"/api/v1/dids/{number}", token=admin, json={"flow": flow}),
                 201)

        def present():
            dids = T.list_all(shared, admin, "/api/v1/dids")
            assert number in {d["number"] for d in dids}
        return method, f"/api/v1/dids/{number}", None, 204, present
    if (method, path) == ("POST", "/api/v1/trunks"):
        return method, path, {"name": T.uniq("rb"), "outbound_uri": "sip:gw.example.com"}, \
            201, None
    if (method, path) == ("GET", "/api/v1/trunks/{id}"):
        return method, f"/api/v1/trunks/{trunk_id}", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/trunks/{id}"):
        return method, f"/api/v1/trunks/{trunk_id}", {"caller_id": "4000"}, 200, None
    if (method, path) == ("DELETE", "/api/v1/trunks/{id}"):
        victim = T.create_trunk(shared, admin)["id"]

        def trunk_there():
            T.expect(shared.api("GET", f"/api/v1/trunks/{victim}", token=admin), 200)
        return method, f"/api/v1/trunks/{victim}", None, 204, trunk_there
    if (method, path) == ("PUT", "/api/v1/prompts/{name}"):
        name = T.uniq("rb")

        def not_stored():
            T.assert_error(shared.api("GET", f"/api/v1/prompts/{name}", token=admin), 404)
        return method, f"/api/v1/prompts/{name}", T.sine_wav(), 201, not_stored
    if (method, path) == ("GET", "/api/v1/prompts/{name}"):
        return method, f"/api/v1/prompts/{prompt}", None, 200, None
    if (method, path) == ("DELETE", "/api/v1/prompts/{name}"):
        name = T.uniq("rb")
        T.expect(T.put_prompt(shared, admin, name, T.sine_wav()), 201)

        def prompt_there():
            T.expect(shared.api("GET", f"/api/v1/prompts/{name}", token=admin), 200)
        return method, f"/api/v1/prompts/{name}", None, 204, prompt_there
    # The ACD: agents act on their own state (1001 is the agent role's user),
    # others on 1002's.
    staff_no = "1001" if role == "agent" else "1002"
    if (method, path) == ("GET", "/api/v1/agents/{staff_no}/state"):
        return method, f"/api/v1/agents/{staff_no}/state", None, 200, None
    if (method, path) == ("PUT", "/api/v1/agents/{staff_no}/state"):
        return method, f"/api/v1/agents/{staff_no}/state", {"state": "logged_out"}, 200, None
    if (method, path) in (("GET", "/api/v1/agents"), ("GET", "/api/v1/queues"),
                          ("GET", "/api/v1/queue-events"), ("GET", "/api/v1/agent-state-log"),
                          ("GET", "/api/v1/callbacks")):
        return method, path, None, 200, None
    if (method, path) == ("PUT", "/api/v1/agents/{staff_no}/skills"):
        return method, "/api/v1/agents/1005/skills", {"skills": {"billing": 3}}, 200, None
    if (method, path) == ("POST", "/api/v1/queues"):
        return method, path, {"name": T.uniq("rb")}, 201, None
    if (method, path) == ("GET", "/api/v1/queues/{name}"):
        return method, "/api/v1/queues/support", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/queues/{name}"):
        return method, "/api/v1/queues/support", {"announce_interval_s": 30}, 200, None
    if (method, path) == ("PUT", "/api/v1/queues/{name}/members"):
        members = [{"staff_no": n} for n in ("1001", "1002", "1003", "1004", "1005")]
        return method, "/api/v1/queues/support/members", {"members": members}, 200, None
    if (method, path) == ("GET", "/api/v1/customers/{id}/timeline"):
        return method, f"/api/v1/customers/{cid}/timeline", None, 200, None
    if (method, path) == ("GET", "/api/v1/customers/{id}/duplicates"):
        return method, f"/api/v1/customers/{cid}/duplicates", None, 200, None
    if (method, path) == ("POST", "/api/v1/customers/{id}/merge"):
        # Into itself: refused after the role check (422), nothing merged.
        return method, f"/api/v1/customers/{cid}/merge", {"from": cid}, 422, None
    if (method, path) == ("POST", "/api/v1/customers/import"):
        # A header only: nothing is imported, the answer is the (empty) report.
        return method, path, b"name,phone\r\n", 200, None
    if (method, path) == ("GET", "/api/v1/work-order-views"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/work-order-views"):
        return method, path, {"name": T.uniq("rbac view "), "filters": {"open": "true"}}, 201, None
    if (method, path) in (("PATCH", "/api/v1/work-order-views/{id}"),
                          ("DELETE", "/api/v1/work-order-views/{id}")):
        return method, "/api/v1/work-order-views/999999999", (
            {"name": "x"} if method == "PATCH" else None), 404, None
    if (method, path) == ("GET", "/api/v1/customer-fields"):
        return method, path, None, 200, None
    if (method, path) == ("POST", "/api/v1/customer-fields"):
        key = T.uniq("rbac_field_").replace("-", "_")

        def not_defined():
            defined = T.expect(shared.api("GET", "/api/v1/customer-fields", token=admin),
                               200)["items"]
            assert key not in [d["key"] for d in defined], defined
        return method, path, {"key": key, "label": key, "type": "text"}, 201, not_defined
    if (method, path) in (("PATCH", "/api/v1/customer-fields/{id}"),
                          ("DELETE", "/api/v1/customer-fields/{id}")):
        return method, "/api/v1/customer-fields/999999999", (
            {"label": "x"} if method == "PATCH" else None), 404, None
    if (method, path) == ("POST", "/api/v1/customers/export"):
        # Nothing matches: an empty export, a job all the same.
        return method, path, {"tag": T.uniq("none")}, 202, None
    if (method, path) == ("POST", "/api/v1/customers/{id}/attachments"):
        # Not an image: refused after the role check, nothing stored.
        return method, f"/api/v1/customers/{cid}/attachments?file_name=x.png", b"text", 422, None
    if (method, path) == ("GET", "/api/v1/customers/{id}/attachments"):
        return method, f"/api/v1/customers/{cid}/attachments", None, 200, None
    if (method, path) in (("GET", "/api/v1/customers/{id}/attachments/{attachment_id}"),
                          ("DELETE", "/api/v1/customers/{id}/attachments/{attachment_id}")):
        return method, f"/api/v1/customers/{cid}/attachments/999999999", None, 404, None
    if (method, path) == ("GET", "/api/v1/jobs"):
        return method, path, None, 200, None
    if (method, path) in (("GET", "/api/v1/jobs/{id}"), ("GET", "/api/v1/jobs/{id}/file")):
        return method, path.replace("{id}", "999999999"), None, 404, None
    if (method, path) == ("GET", "/api/v1/customers/lookup"):
        return method, path + "?number=13800138000", None, 200, None
    if (method, path) == ("PATCH", "/api/v1/callbacks/{id}"):
        # No request to close here (calls make them): allowed roles reach the lookup.
        return method, "/api/v1/callbacks/999999999", {"status": "completed"}, 404, None
    wid = ctx["work_order"]["id"]
    # Department staff see only what is dispatched to their department.
    hidden = 404 if role == "department" else None
    simple = {
        ("GET", "/api/v1/work-orders"): (path, None, 200),
        ("GET", "/api/v1/work-orders/count"): (path, None, 200),
        ("GET", "/api/v1/work-orders/transitions"): (path, None, 200),
        ("POST", "/api/v1/work-orders"): (path, {"subject": "rbac"}, 201),
        ("GET", "/api/v1/work-orders/{id}"): (f"/api/v1/work-orders/{wid}", None, hidden or 200),
        ("PATCH", "/api/v1/work-orders/{id}"): (f"/api/v1/work-orders/{wid}",
                                                {"description": "patched"}, 200),
        # new → investigating is refused after the role check: nothing moves.
        ("POST", "/api/v1/work-orders/{id}/actions"): (f"/api/v1/work-orders/{wid}/actions",
                                                       {"action": "investigate"}, hidden or 409),
        ("PUT", "/api/v1/work-orders/{id}/waiting"): (f"/api/v1/work-orders/{wid}/waiting",
                                                      {"waiting": False}, 200),
        ("GET", "/api/v1/work-orders/{id}/notes"): (f"/api/v1/work-orders/{wid}/notes", None,
                                                    hidden or 200),
        ("POST", "/api/v1/work-orders/{id}/notes"): (f"/api/v1/work-orders/{wid}/notes",
                                                     {"body": "rbac note"}, 201),
        ("GET", "/api/v1/work-orders/{id}/history"): (f"/api/v1/work-orders/{wid}/history", None,
                                                      hidden or 200),
        ("GET", "/api/v1/work-orders/{id}/proposals"): (f"/api/v1/work-orders/{wid}/proposals",
                                                        None, hidden or 200),
        ("GET", "/api/v1/work-orders/{id}/sla"): (f"/api/v1/work-orders/{wid}/sla", None,
                                                  hidden or 200),
        # No regulatory clock runs on it: refused after the role check.
        ("POST", "/api/v1/work-orders/{id}/regulatory-extensions"): (
            f"/api/v1/work-orders/{wid}/regulatory-extensions", {"reason": "rbac"}, 409),
        ("GET", "/api/v1/approvals"): (path, None, 200),
        ("POST", "/api/v1/approvals/{id}/decision"): ("/api/v1/approvals/999999999/decision",
                                                      {"approve": True}, 404),
        ("GET", "/api/v1/work-order-settings"): (path, None, 200),
        ("PATCH", "/api/v1/work-order-settings"): (path, {"reopen_window_days": 30}, 200),
        ("GET", "/api/v1/work-order-categories"): (path, None, 200),
        ("POST", "/api/v1/work-order-categories"): (path, {"name": T.uniq("cat")}, 201),
        ("PATCH", "/api/v1/work-order-categories/{id}"): (
            f"/api/v1/work-order-categories/{ctx['category']['id']}", {"active": True}, 200),
        ("GET", "/api/v1/business-calendars"): (path, None, 200),
        ("POST", "/api/v1/business-calendars"): (path, {"name": T.uniq("cal"),
                                                        "weekly": {"tue": ["09:00-12:00"]}}, 201),
        ("PUT", "/api/v1/business-calendars/{id}"): (
            f"/api/v1/business-calendars/{ctx['calendar']['id']}",
            {"name": ctx["calendar"]["name"], "weekly": {"mon": ["09:00-18:00"]}}, 200),
        ("DELETE", "/api/v1/business-calendars/{id}"): ("/api/v1/business-calendars/999999999",
                                                        None, 404),
        ("GET", "/api/v1/sla-policies"): (path, None, 200),
        ("POST", "/api/v1/sla-policies"): (path, {"name": T.uniq("pol"), "active": False,
                                                  "position": 9999}, 201),
        ("PATCH", "/api/v1/sla-policies/{id}"): (f"/api/v1/sla-policies/{ctx['policy']['id']}",
                                                 {"warn_percent": 80}, 200),
        ("DELETE", "/api/v1/sla-policies/{id}"): ("/api/v1/sla-policies/999999999", None, 404),
        ("GET", "/api/v1/kb"): (path, None, 200),
        ("GET", "/api/v1/search"): (path + "?q=rbac", None, 200),
        ("GET", "/api/v1/webhooks"): (path, None, 200),
        # Refused after the role check: nothing registered.
        ("POST", "/api/v1/webhooks"): (path, {"url": "gopher://nowhere"}, 422),
        ("PATCH", "/api/v1/webhooks/{id}"): ("/api/v1/webhooks/999999999", {"active": True},
                                             404),
        ("DELETE", "/api/v1/webhooks/{id}"): ("/api/v1/webhooks/999999999", None, 404),
        ("GET", "/api/v1/webhooks/{id}/deliveries"): ("/api/v1/webhooks/999999999/deliveries",
                                                      None, 404),
        ("POST", "/api/v1/kb"): (path, {"kind": "script", "lang": "zh", "title": "rbac",
                                        "body": "rbac"}, 201),
        ("POST", "/api/v1/kb/defaults"): (path, None, 200),
        ("GET", "/api/v1/kb/suggestions"): (path + f"?category_id={ctx['category']['id']}", None,
                                            200),
        ("GET", "/api/v1/kb/{id}"): (f"/api/v1/kb/{ctx['kb']['id']}", None, 200),
        ("PATCH", "/api/v1/kb/{id}"): (f"/api/v1/kb/{ctx['kb']['id']}", {"active": True}, 200),
        ("DELETE", "/api/v1/kb/{id}"): ("/api/v1/kb/999999999", None, 404),
        ("POST", "/api/v1/kb/{id}/render"): (f"/api/v1/kb/{ctx['kb']['id']}/render", {}, 200),
    }
    if (method, path) in simple:
        p, body, ok = simple[(method, path)]
        return method, p, body, ok, None
    raise KeyError(f"no RBAC request for {method} {path}: add one to test_rbac.py")


def test_every_documented_route_has_a_matrix_entry(shared, tok, ctx):
    for method, path, _roles in ROUTES:
        if (method, path) in SESSION_ROUTES or path == "/api/v1/events":
            continue
        request_for(shared, tok, ctx, method, path)


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize("route", [r for r in ROUTES if (r[0], r[1]) not in SESSION_ROUTES],
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_route_role(shared, tok, ctx, route, role):
    method, path, roles = route
    token = ctx["token"](role)
    allowed = T.route_allows(roles, role)
    if path == "/api/v1/events":
        try:
            ws, hello = shared.ws_connect(token)
        except websocket.WebSocketBadStatusException as e:
            assert not allowed, f"{role} refused: {e.status_code}"
            assert e.status_code == 403
            return
        ws.close()
        assert allowed, f"{role} was allowed to open the event stream"
        assert hello["type"] == "hello"
        return
    m, p, body, ok, check = request_for(shared, tok, ctx, method, path, role)
    if isinstance(body, bytes):
        st, _h, got = shared.api(m, p, token=token, data=body,
                                 headers={"Content-Type": "audio/wav"})
    else:
        st, _h, got = shared.api(m, p, token=token, json=body)
    if allowed:
        assert st == ok, f"{role} {method} {path}: expected {ok}, got {st}: {got!r}"
    else:
        T.assert_error((st, _h, got), 403, "forbidden")
        if check:
            check()


@pytest.mark.parametrize("route", [r for r in ROUTES if r[2] != "public"],
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_route_needs_a_token(shared, tok, ctx, route):
    method, path, _roles = route
    if path == "/api/v1/events":
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            shared.ws_connect(None)
        assert e.value.status_code == 401
        return
    p = path.replace("{id}", str(ctx["customer"]["id"] if "customers" in path
                                 else ctx["user"]["id"]))
    p = p.replace("{name}", ctx["flow"]).replace("{number}", "4000").replace("{version}", "1")
    p = p.replace("{staff_no}", "1001").replace("{attachment_id}", "1")
    body = {"name": "x"} if method in ("POST", "PATCH", "PUT") else None
    T.assert_error(shared.api(method, p, json=body), 401, "unauthenticated")


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_password_and_logout_for_every_role(shared, tok, role):
    """PUT /me/password and POST /auth/logout are open to any role."""
    username = T.uniq("pw")
    if role == "operator":
        shared.cli("user", "add", username, "--tenant", "system", "--role", "operator",
                   "--password", T.OTHER_PASSWORD, check=True)
        tenant = "system"
    else:
        T.create_user(shared, tok("admin"), role, username=username)
        tenant = "demo"
    token = shared.login(tenant, username, T.OTHER_PASSWORD)
    st, _h, body = shared.api("PUT", "/api/v1/me/password", token=token,
                              json={"current_password": T.OTHER_PASSWORD,
                                    "new_password": "Changed-pass-9"})
    assert st == 204, (st, body)
    token2 = shared.login(tenant, username, "Changed-pass-9")
    st, _h, body = shared.api("POST", "/api/v1/auth/logout", token=token2)
    assert st == 204, (st, body)
    T.assert_error(shared.api("GET", "/api/v1/me", token=token2), 401, "unauthenticated")


def test_admin_cannot_create_operator_or_escalate(shared, tok):
    admin = tok("admin")
    st, _h, body = shared.api("POST", "/api/v1/users", token=admin,
                              json={"username": T.uniq("esc"), "password": T.OTHER_PASSWORD,
                                    "role": "operator"})
    assert st in (403, 422), (st, body)
    user = T.create_user(shared, admin, "agent")
    st, _h, body = shared.api("PATCH", f"/api/v1/users/{user['id']}", token=admin,
                              json={"role": "operator"})
    assert st in (403, 422), (st, body)


def test_role_change_takes_effect(shared, tok):
    admin = tok("admin")
    user = T.create_user(shared, admin, "agent")
    token = shared.login("demo", user["username"], T.OTHER_PASSWORD)
    T.assert_error(shared.api("GET", "/api/v1/users", token=token), 403, "forbidden")
    T.expect(shared.api("PATCH", f"/api/v1/users/{user['id']}", token=admin,
                        json={"role": "supervisor"}), 200)
    # Either the old token now carries the new role, or it was revoked.
    st, _h, body = shared.api("GET", "/api/v1/users", token=token)
    if st == 401:
        token = shared.login("demo", user["username"], T.OTHER_PASSWORD)
        st, _h, body = shared.api("GET", "/api/v1/users", token=token)
    assert st == 200, (st, body)
    T.assert_error(shared.api("GET", "/api/v1/audit", token=token), 403, "forbidden")
