"""The OpenAPI document matches docs/api.md, and every documented route is routed."""

import re

import pytest
import websocket

import tingtest as T

ROUTES = T.documented_routes()


@pytest.fixture(scope="module")
def spec(api):
    st, h, body = api("GET", "/api/v1/openapi.json")
    assert st == 200, st
    assert "json" in h.get("Content-Type", "")
    assert isinstance(body, dict), body
    return body


def norm(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def spec_ops(spec):
    """{(METHOD, normalized full path): operation}."""
    base = ""
    servers = spec.get("servers") or []
    if servers and isinstance(servers[0], dict):
        url = servers[0].get("url", "")
        base = re.sub(r"^[a-z]+://[^/]+", "", url).rstrip("/")
    ops = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method.lower() in ("get", "post", "put", "patch", "delete"):
                full = path if path.startswith("/api/") or path in ("/healthz", "/metrics") \
                    else base + path
                ops[(method.upper(), norm(full))] = op
    return ops


def test_is_openapi_3(spec):
    assert str(spec.get("openapi", "")).startswith("3."), spec.get("openapi")
    assert spec.get("info", {}).get("title")
    assert spec.get("info", {}).get("version")
    assert isinstance(spec.get("paths"), dict) and spec["paths"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_documented_route_is_in_spec_with_roles(spec, route):
    method, path, roles = route
    ops = spec_ops(spec)
    key = (method, norm(path))
    assert key in ops, f"{method} {path} missing; spec has {sorted(ops)}"
    op = ops[key]
    assert "x-roles" in op, op
    xr = op["x-roles"]
    if roles in ("public", "any"):
        as_set = set(xr) if isinstance(xr, list) else {xr}
        assert as_set in ({roles}, set()) or (roles == "any" and as_set >= {
            "agent", "admin", "operator"}), (path, xr)
    else:
        assert set(xr) == set(roles), f"{method} {path}: x-roles {xr} != docs {sorted(roles)}"


def test_spec_has_no_undocumented_routes(spec):
    documented = {(m, norm(p)) for m, p, _r in ROUTES}
    extra = set(spec_ops(spec)) - documented
    assert not extra, f"routes in the spec but not in docs/api.md: {sorted(extra)}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_documented_route_is_routed(shared, tok, route):
    """Every documented route answers something other than 'no such route'."""
    method, path, roles = route
    admin = tok("admin") if roles == "public" or roles == "any" or "admin" in roles \
        else tok("operator")
    if path == "/api/v1/events":
        ws, hello = shared.ws_connect(admin)
        ws.close()
        assert hello["type"] == "hello"
        return
    if "{id}" in path:
        if "customers" in path:
            rid = T.create_customer(shared, tok("admin"))["id"]
        else:
            rid = T.create_user(shared, tok("admin"), "agent")["id"]
        path = path.replace("{id}", str(rid))
    # Names and numbers nobody has: the route itself answers (404, 400 or 422).
    path = path.replace("{name}", "openapi_probe").replace("{number}", "999999999") \
        .replace("{version}", "1")
    body = {} if method in ("POST", "PUT", "PATCH") else None
    if path == "/api/v1/auth/logout":
        admin, body = shared.login("demo", "admin", T.DEMO_PASSWORD), None
    st, _h, got = shared.api(method, path, token=admin, json=body)
    # A row that does not exist is answered 404 by the route itself.
    routed_404 = st == 404 and got["error"]["message"] != "no such route"
    assert st != 405 and (st != 404 or routed_404), f"{method} {path} -> {st}: {got!r}"
    assert st < 500, f"{method} {path} -> {st}: {got!r}"


def test_plain_get_on_events_without_upgrade_is_not_404(shared, tok):
    st, _h, body = shared.api("GET", "/api/v1/events", token=tok("agent"))
    assert st in (400, 426), (st, body)


def test_websocket_is_not_offered_elsewhere(shared, tok):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(
            f"ws://127.0.0.1:{shared.port}/api/v1/customers",
            header=[f"Authorization: Bearer {tok('agent')}"], timeout=10)
    assert e.value.status_code != 101
