"""Error shapes: bad bodies, bad values, limits, unknown routes and methods, fuzzing."""

import json
import random

import pytest

import tingtest as T


def test_malformed_json_is_400_invalid_json(api, tok):
    for raw in [b'{"name":', b"{name: 1}", b"not json", b'{"name":"a"} trailing', b"\xff\xfe",
                b"", b'{"name":"a",}']:
        st, h, body = api("POST", "/api/v1/customers", token=tok("admin"), data=raw)
        T.assert_error((st, h, body), 400, ("invalid_json", "missing_field") if raw == b""
                       else "invalid_json")


def test_body_must_be_an_object(api, tok):
    for raw in [b"[]", b"42", b'"name"', b"null", b"true"]:
        st, h, body = api("POST", "/api/v1/customers", token=tok("admin"), data=raw)
        assert st == 400, (raw, st, body)
        T.assert_error((st, h, body), 400)


@pytest.mark.parametrize("field,value", [
    ("name", 123), ("name", None), ("name", ["a"]), ("vip", "yes"), ("vip", 1),
    ("phone", 13800138000), ("email", {"a": 1}), ("notes", False),
])
def test_wrong_type_is_400_invalid_field(api, tok, field, value):
    body = {"name": "Typed"}
    body[field] = value
    T.assert_error(api("POST", "/api/v1/customers", token=tok("admin"), json=body), 400,
                   "invalid_field", field)


def test_bad_patch_bodies(shared, api, tok):
    admin = tok("admin")
    c = T.create_customer(shared, admin)
    u = T.create_user(shared, admin, "agent")
    T.assert_error(api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                       json={"vip": "yes"}), 400, "invalid_field", "vip")
    T.assert_error(api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                       json={"nmae": "typo"}), 400, "unknown_field", "nmae")
    T.assert_error(api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                       json={"id": 5}), 400, ("unknown_field", "invalid_field"), "id")
    T.assert_error(api("PATCH", f"/api/v1/users/{u['id']}", token=admin,
                       json={"disabled": "no"}), 400, "invalid_field", "disabled")
    T.assert_error(api("PATCH", f"/api/v1/users/{u['id']}", token=admin,
                       json={"username": "renamed"}), 400, "unknown_field", "username")
    got = T.expect(api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert got["vip"] in (False, None) and got["name"] == c["name"]


def test_unknown_field_is_400(api, tok):
    T.assert_error(api("POST", "/api/v1/customers", token=tok("admin"),
                       json={"name": "x", "nmae": "typo"}), 400, "unknown_field", "nmae")
    T.assert_error(api("POST", "/api/v1/users", token=tok("admin"),
                       json={"username": T.uniq("u"), "password": T.OTHER_PASSWORD,
                             "role": "agent", "is_admin": True}), 400, "unknown_field",
                   "is_admin")
    T.assert_error(api("POST", "/api/v1/auth/login",
                       json={"tenant": "demo", "username": "1001",
                             "password": T.DEMO_PASSWORD, "remember": True}), 400,
                   "unknown_field", "remember")


def test_missing_required_field_is_400_naming_it(api, tok):
    admin = tok("admin")
    T.assert_error(api("POST", "/api/v1/customers", token=admin, json={}), 400,
                   "missing_field", "name")
    T.assert_error(api("POST", "/api/v1/customers", token=admin, json={"phone": "13800001111"}),
                   400, "missing_field", "name")
    T.assert_error(api("POST", "/api/v1/users", token=admin,
                       json={"password": T.OTHER_PASSWORD, "role": "agent"}), 400,
                   "missing_field", "username")
    T.assert_error(api("POST", "/api/v1/users", token=admin,
                       json={"username": T.uniq("u"), "role": "agent"}), 400,
                   "missing_field", "password")
    T.assert_error(api("POST", "/api/v1/users", token=admin,
                       json={"username": T.uniq("u"), "password": T.OTHER_PASSWORD}), 400,
                   "missing_field", "role")
    T.assert_error(api("POST", "/api/v1/auth/login", json={"tenant": "demo", "username": "1001"}),
                   400, "missing_field", "password")
    T.assert_error(api("POST", "/api/v1/tenants", token=tok("operator"),
                       json={"name": "No slug", "admin_username": "a",
                             "admin_password": T.OTHER_PASSWORD}), 400, "missing_field", "slug")


def test_invalid_values_are_422(shared, api, tok):
    admin = tok("admin")
    T.assert_error(api("POST", "/api/v1/users", token=admin,
                       json={"username": T.uniq("u"), "password": T.OTHER_PASSWORD,
                             "role": "emperor"}), 422, "invalid_value", "role")
    T.assert_error(api("POST", "/api/v1/customers", token=admin, json={"name": ""}), 422,
                   "invalid_value", "name")
    T.assert_error(api("POST", "/api/v1/customers", token=admin,
                       json={"name": "Bad mail", "email": "not-an-email"}), 422,
                   "invalid_value", "email")
    T.assert_error(api("POST", "/api/v1/customers", token=admin,
                       json={"name": "Bad phone", "phone": "call me maybe"}), 422,
                   "invalid_value", "phone")
    user = T.create_user(shared, admin, "agent")
    T.assert_error(api("PATCH", f"/api/v1/users/{user['id']}", token=admin,
                       json={"role": "emperor"}), 422, "invalid_value", "role")


def test_duplicate_username_is_409(api, tok):
    T.assert_error(api("POST", "/api/v1/users", token=tok("admin"),
                       json={"username": "1001", "password": T.OTHER_PASSWORD,
                             "role": "agent"}), 409, "conflict")


def test_body_over_limit_is_413(shared, tok):
    token = tok("admin")
    body = b'{"name":"big","notes":"' + b"x" * (1 << 20) + b'"}'
    req = (f"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    st, _h, got = T.raw_http(shared.port, req)
    T.assert_error((st, _h, got), 413, "body_too_large")
    # The server is fine afterwards.
    T.expect(shared.api("GET", "/healthz"), 200)


def test_body_just_under_limit_is_not_413(shared, tok):
    pad = (1 << 20) - 200
    body = b'{"name":"padded"}' + b" " * pad
    st, _h, got = shared.api("POST", "/api/v1/customers", token=tok("admin"), data=body)
    assert st == 201, (st, got)


def test_huge_headers_are_431(shared):
    req = (f"GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"X-Big: {'a' * 20000}\r\n\r\n").encode()
    st, _h, got = T.raw_http(shared.port, req)
    T.assert_error((st, _h, got), 431, "headers_too_large")
    T.expect(shared.api("GET", "/healthz"), 200)


def test_unknown_route_is_404(api, tok):
    for path in ["/api/v1/nope", "/api/v2/customers", "/api/v1/customers/1/extra",
                 "/api/v1/../../etc/passwd", "/api/v1/customers/%00"]:
        st, h, body = api("GET", path, token=tok("admin"))
        assert st in (400, 404), (path, st, body)
        T.assert_error((st, h, body), st)
    T.assert_error(api("GET", "/api/v1/nope", token=tok("admin")), 404, "not_found")
    T.assert_error(api("GET", "/api/v1/nope"), 404, "not_found")


def test_unknown_ids_are_404(api, tok):
    admin = tok("admin")
    for method, path in [("GET", "/api/v1/customers/999999999"),
                         ("DELETE", "/api/v1/customers/999999999"),
                         ("GET", "/api/v1/users/999999999"),
                         ("GET", "/api/v1/customers/not-a-number")]:
        st, h, body = api(method, path, token=admin)
        assert st in (400, 404), (path, st, body)
        T.assert_error((st, h, body), st)
    T.assert_error(api("PATCH", "/api/v1/customers/999999999", token=admin,
                       json={"name": "x"}), 404, "not_found")


def test_wrong_method_is_405(api, tok):
    admin = tok("admin")
    for method, path in [("DELETE", "/api/v1/users"), ("PUT", "/api/v1/customers"),
                         ("POST", "/api/v1/me"), ("GET", "/api/v1/auth/login"),
                         ("DELETE", "/api/v1/audit"), ("PATCH", "/api/v1/tenants")]:
        T.assert_error(api(method, path, token=admin, json={} if method != "GET" else None),
                       405, "method_not_allowed")


def test_non_json_content_type_is_415(api, tok):
    for ctype in ["text/plain", "application/x-www-form-urlencoded", "application/xml"]:
        T.assert_error(api("POST", "/api/v1/customers", token=tok("admin"),
                           data=b'{"name":"x"}', headers={"Content-Type": ctype}), 415,
                       "unsupported_media_type")
    # A charset parameter is fine.
    st, _h, body = api("POST", "/api/v1/customers", token=tok("admin"), data=b'{"name":"cs"}',
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert st == 201, (st, body)


def test_error_responses_are_json(api):
    st, h, body = api("GET", "/api/v1/nope")
    assert "application/json" in h.get("Content-Type", "")
    assert isinstance(body, dict)


def test_invalid_utf8_in_strings_is_not_a_500(api, tok):
    st, _h, body = api("POST", "/api/v1/customers", token=tok("admin"),
                       data=b'{"name":"\xc3\x28bad"}')
    assert st in (400, 422), (st, body)


def random_json(rng, depth=0):
    kinds = ["str", "int", "float", "bool", "null", "list", "obj", "big", "uni"]
    if depth > 3:
        kinds = kinds[:5]
    k = rng.choice(kinds)
    if k == "str":
        return "".join(rng.choice("abc123 -_@.+") for _ in range(rng.randint(0, 20)))
    if k == "int":
        return rng.randint(-2**63, 2**63)
    if k == "float":
        return rng.uniform(-1e300, 1e300)
    if k == "bool":
        return rng.random() < 0.5
    if k == "null":
        return None
    if k == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if k == "big":
        return "x" * rng.randint(1000, 20000)
    if k == "uni":
        return "".join(chr(rng.randint(0x20, 0x10FFFF) if rng.random() < 0.5 else 0x4E00 + i)
                       for i in range(rng.randint(1, 10))).encode("utf-8", "replace") \
            .decode("utf-8", "replace")
    return {rng.choice(FIELDS): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


FIELDS = ["name", "phone", "email", "company", "notes", "vip", "username", "password", "role",
          "display_name", "disabled", "slug", "admin_username", "admin_password", "tenant",
          "current_password", "new_password", "id", "created_at", "zzz", ""]


def random_body(rng):
    r = rng.random()
    if r < 0.6:
        return json.dumps({rng.choice(FIELDS): random_json(rng) for _ in range(rng.randint(0, 7))},
                          allow_nan=True).encode()
    if r < 0.75:
        return json.dumps(random_json(rng)).encode()
    if r < 0.85:
        s = json.dumps({"name": random_json(rng), "notes": random_json(rng)}).encode()
        return s[:rng.randint(0, len(s))]
    if r < 0.9:
        return b"[" * rng.randint(1, 5000) + b"]" * rng.randint(0, 5000)
    if r < 0.95:
        return b'{"a":' * rng.randint(1, 3000)
    return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))


def test_fuzz_write_routes_never_500(shared, tok):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    admin = tok("admin")
    target_user = T.create_user(shared, admin, "agent")
    target_cust = T.create_customer(shared, admin)
    pw_user = T.create_user(shared, admin, "agent")
    pw_token = shared.login("demo", pw_user["username"], T.OTHER_PASSWORD)
    routes = [
        ("POST", "/api/v1/auth/login", None),
        ("POST", "/api/v1/tenants", tok("operator")),
        ("POST", "/api/v1/users", admin),
        ("PATCH", f"/api/v1/users/{target_user['id']}", admin),
        ("POST", "/api/v1/customers", admin),
        ("PATCH", f"/api/v1/customers/{target_cust['id']}", admin),
        ("PUT", "/api/v1/me/password", pw_token),
    ]
    failures = []
    for method, path, token in routes:
        for _ in range(25):
            body = random_body(rng)
            st, _h, got = shared.api(method, path, token=token, data=body)
            if st >= 500 or not (isinstance(got, dict) or st < 300 or st == 204):
                failures.append((method, path, body[:200], st, got))
            elif st >= 400:
                T.assert_error((st, _h, got), st)
    assert not failures, f"seed {seed}: {failures[:5]}"
    T.expect(shared.api("GET", "/healthz"), 200)
