"""Login, logout, /me, tokens, throttling and lockout."""

import calendar
import time

import tingtest as T

LOGIN = "/api/v1/auth/login"


def login(srv, tenant, username, password, **kw):
    return srv.api("POST", LOGIN, json={"tenant": tenant, "username": username,
                                        "password": password}, **kw)


def test_login_returns_token_expiry_and_user(shared):
    body = T.expect(login(shared, "demo", "1001", T.DEMO_PASSWORD), 200)
    assert body["token"].startswith("tk_")
    assert len(body["token"]) >= 3 + 43, "256-bit token expected"
    assert T.RFC3339_MS.match(body["expires_at"]), body["expires_at"]
    user = body["user"]
    assert T.USER_KEYS <= set(user), user
    assert user["username"] == "1001" and user["role"] == "agent"
    assert not any("password" in k or "hash" in k for k in user), user


def test_tokens_are_unique_per_login(shared):
    a = T.expect(login(shared, "demo", "1002", T.DEMO_PASSWORD), 200)["token"]
    b = T.expect(login(shared, "demo", "1002", T.DEMO_PASSWORD), 200)["token"]
    assert a != b


def test_me_shows_user_tenant_and_role(api, tok):
    body = T.expect(api("GET", "/api/v1/me", token=tok("supervisor")), 200)
    assert body["user"]["username"] == "super"
    assert body["role"] == "supervisor"
    assert body["tenant"]["slug"] == "demo"
    assert "id" in body["tenant"]


def test_operator_me_is_in_system_tenant(api, tok):
    body = T.expect(api("GET", "/api/v1/me", token=tok("operator")), 200)
    assert body["role"] == "operator"
    assert body["tenant"]["slug"] == "system"


def test_wrong_password_is_401_invalid_credentials(shared):
    T.assert_error(login(shared, "demo", "1005", "not-the-password"), 401,
                   "invalid_credentials")


def test_unknown_user_and_unknown_tenant_look_like_wrong_password(shared):
    a = T.assert_error(login(shared, "demo", T.uniq("ghost"), "x-password-1"), 401,
                       "invalid_credentials")
    b = T.assert_error(login(shared, T.uniq("notenant"), "admin", T.DEMO_PASSWORD), 401,
                       "invalid_credentials")
    assert a["code"] == b["code"]


def test_demo_password_does_not_open_another_tenant(shared):
    T.assert_error(login(shared, "system", "admin", T.DEMO_PASSWORD), 401,
                   "invalid_credentials")


def test_logout_revokes_token_at_once(shared):
    token = T.expect(login(shared, "demo", "1003", T.DEMO_PASSWORD), 200)["token"]
    T.expect(shared.api("GET", "/api/v1/me", token=token), 200)
    st, _h, _b = shared.api("POST", "/api/v1/auth/logout", token=token)
    assert st == 204
    T.assert_error(shared.api("GET", "/api/v1/me", token=token), 401, "unauthenticated")
    # Logging out again with the revoked token is just as unauthenticated.
    T.assert_error(shared.api("POST", "/api/v1/auth/logout", token=token), 401,
                   "unauthenticated")


def test_logout_revokes_only_that_token(shared):
    a = T.expect(login(shared, "demo", "1004", T.DEMO_PASSWORD), 200)["token"]
    b = T.expect(login(shared, "demo", "1004", T.DEMO_PASSWORD), 200)["token"]
    assert shared.api("POST", "/api/v1/auth/logout", token=a)[0] == 204
    T.expect(shared.api("GET", "/api/v1/me", token=b), 200)


def test_missing_token_is_401(api):
    T.assert_error(api("GET", "/api/v1/me"), 401, "unauthenticated")


def test_garbage_tokens_are_401(api, tok):
    real = tok("agent")
    for bad in ["garbage", "tk_" + "0" * 43, real + "x", real[:-1], "", " "]:
        T.assert_error(api("GET", "/api/v1/me", headers={"Authorization": f"Bearer {bad}"}),
                       401, "unauthenticated")
    for header in [f"Basic {real}", real, f"Bearer{real}", "Bearer"]:
        T.assert_error(api("GET", "/api/v1/me", headers={"Authorization": header}), 401,
                       "unauthenticated")


def test_login_by_phone_number(shared, tok, demo_ids):
    admin = tok("admin")
    target = T.create_user(shared, admin, "agent", password=T.OTHER_PASSWORD)
    phone = "139" + str(int(time.time() * 1000))[-8:]
    body = T.expect(shared.api("PATCH", f"/api/v1/users/{target['id']}", token=admin,
                               json={"phone": phone}), 200)
    assert body["phone"], body
    got = T.expect(login(shared, "demo", phone, T.OTHER_PASSWORD), 200)
    assert got["user"]["id"] == target["id"]
    assert got["user"]["username"] == target["username"]
    # The phone with a wrong password is still a wrong login.
    T.assert_error(login(shared, "demo", phone, "wrong-pass-123"), 401, "invalid_credentials")


def test_change_own_password(shared, tok):
    admin = tok("admin")
    user = T.create_user(shared, admin, "agent", password=T.OTHER_PASSWORD)
    token = shared.login("demo", user["username"], T.OTHER_PASSWORD)
    st, _h, body = shared.api("PUT", "/api/v1/me/password", token=token,
                              json={"current_password": "wrong-current-1",
                                    "new_password": "Brand-new-pass-1"})
    assert 400 <= st < 500 and st != 404, (st, body)
    T.expect(login(shared, "demo", user["username"], T.OTHER_PASSWORD), 200)
    st, _h, body = shared.api("PUT", "/api/v1/me/password", token=token,
                              json={"current_password": T.OTHER_PASSWORD,
                                    "new_password": "Brand-new-pass-1"})
    assert st == 204, (st, body)
    T.expect(login(shared, "demo", user["username"], "Brand-new-pass-1"), 200)
    T.assert_error(login(shared, "demo", user["username"], T.OTHER_PASSWORD), 401,
                   "invalid_credentials")


def test_change_password_missing_field(shared, tok):
    T.assert_error(shared.api("PUT", "/api/v1/me/password", token=tok("qa_inspector"),
                              json={"new_password": "Brand-new-pass-2"}),
                   400, "missing_field", "current_password")


def test_disabled_user_cannot_log_in_and_loses_tokens(shared, tok):
    admin = tok("admin")
    user = T.create_user(shared, admin, "agent")
    token = shared.login("demo", user["username"], T.OTHER_PASSWORD)
    T.expect(shared.api("PATCH", f"/api/v1/users/{user['id']}", token=admin,
                        json={"disabled": True}), 200)
    st, _h, _b = login(shared, "demo", user["username"], T.OTHER_PASSWORD)
    assert st in (401, 403), st
    T.assert_error(shared.api("GET", "/api/v1/me", token=token), 401, "unauthenticated")


def test_token_expires_after_ttl(server_factory):
    srv = server_factory(name="ttl", env={"TING_AUTH_TOKEN_TTL": "1"})
    t0 = time.time()
    body = T.expect(login(srv, "demo", "1001", T.DEMO_PASSWORD), 200)
    token = body["token"]
    # expires_at is about one second away.
    exp = calendar.timegm(time.strptime(body["expires_at"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert t0 - 5 <= exp <= t0 + 5, (body["expires_at"], t0)

    def expired():
        st, _h, b = srv.api("GET", "/api/v1/me", token=token)
        return (st, b) if st == 401 else None
    st, b = T.poll(expired, 5, interval=0.1, what="token expiry")
    T.assert_error((st, None, b), 401, "unauthenticated")


def test_backoff_after_consecutive_failures(server_factory):
    srv = server_factory(name="backoff")  # defaults: backoff after 3
    for _ in range(3):
        T.assert_error(login(srv, "demo", "1002", "bad-password-1"), 401, "invalid_credentials")
    st, hdrs, body = login(srv, "demo", "1002", "bad-password-1")
    T.assert_error((st, hdrs, body), 429, "too_many_attempts")
    retry = int(hdrs.get("Retry-After"))
    assert 1 <= retry <= 60, retry
    # Even the right password has to wait.
    st, hdrs, body = login(srv, "demo", "1002", T.DEMO_PASSWORD)
    T.assert_error((st, hdrs, body), 429, "too_many_attempts")
    assert hdrs.get("Retry-After") is not None
    # Other accounts are not affected.
    T.expect(login(srv, "demo", "1003", T.DEMO_PASSWORD), 200)

    def retry_login():
        st, h, b = login(srv, "demo", "1002", T.DEMO_PASSWORD)
        if st == 429:
            # Wait as told: this is the server's instruction, not a guess.
            time.sleep(min(float(h.get("Retry-After", "1")), 5))
            return None
        return (st, b)
    st, b = T.poll(retry_login, 20, interval=0, what="login after back-off")
    assert st == 200, (st, b)
    # Success reset the count: a wrong password is a plain 401 again.
    T.assert_error(login(srv, "demo", "1002", "bad-password-2"), 401, "invalid_credentials")


def test_lockout_then_admin_unlocks_with_new_password(server_factory):
    srv = server_factory(name="lockout", env={"TING_AUTH_MAX_FAILED_LOGINS": "3",
                                              "TING_AUTH_BACKOFF_AFTER": "3",
                                              "TING_AUTH_LOCKOUT": "900"})
    admin = srv.role_token("admin")
    for i in range(3):
        st, _h, body = login(srv, "demo", "1004", f"bad-password-{i}")
        assert st in (401, 429), (st, body)
    st, hdrs, body = login(srv, "demo", "1004", T.DEMO_PASSWORD)
    T.assert_error((st, hdrs, body), 429, "account_locked")
    retry = int(hdrs.get("Retry-After"))
    assert 60 < retry <= 900, retry
    # Still locked on the next try.
    T.assert_error(login(srv, "demo", "1004", T.DEMO_PASSWORD), 429, "account_locked")
    user = T.find_user(srv, admin, "1004")
    T.expect(srv.api("PATCH", f"/api/v1/users/{user['id']}", token=admin,
                     json={"password": "Unlocked-pass-1"}), 200)
    T.expect(login(srv, "demo", "1004", "Unlocked-pass-1"), 200)
    T.assert_error(login(srv, "demo", "1004", T.DEMO_PASSWORD), 401, "invalid_credentials")


def test_request_id_is_echoed_or_generated(api):
    st, hdrs, _b = api("GET", "/healthz", headers={"X-Request-Id": "abc-123_XYZ"})
    assert hdrs.get("X-Request-Id") == "abc-123_XYZ"
    st, hdrs, _b = api("GET", "/healthz")
    assert hdrs.get("X-Request-Id")
    st, hdrs, _b = api("GET", "/healthz", headers={"X-Request-Id": "x" * 65})
    assert hdrs.get("X-Request-Id") and hdrs.get("X-Request-Id") != "x" * 65
    st, hdrs, _b = api("GET", "/healthz", headers={"X-Request-Id": "bad id\"<>"})
    assert hdrs.get("X-Request-Id") and hdrs.get("X-Request-Id") != "bad id\"<>"
    # Error responses carry it too.
    st, hdrs, _b = api("GET", "/api/v1/me", headers={"X-Request-Id": "err-1"})
    assert st == 401 and hdrs.get("X-Request-Id") == "err-1"
