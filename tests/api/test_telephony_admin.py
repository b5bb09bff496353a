"""Telephony administration: IVR flows and their versions, DIDs, trunks (secrets sealed at
rest), SIP passwords, prompt uploads and tenant telephony settings."""

import base64
import hashlib
import io
import os
import random
import sqlite3
import stat
import subprocess
import wave

import tingtest as T


def flow_with_problems():
    """A flow with several independent problems."""
    return {"start": "menu",
            "nodes": {"menu": {"type": "menu", "prompt": "Press 1",
                               "choices": {"1": "nowhere", "12": "bye"}},
                      "bye": {"type": "hangup", "prompt": {"file": "no_such_recording"}},
                      "island": {"type": "hangup"}}}


def publish(shared, token, name, document, create=False):
    if create:
        return shared.api("POST", "/api/v1/ivr/flows", token=token,
                          json={"name": name, "document": document})
    return shared.api("PUT", f"/api/v1/ivr/flows/{name}", token=token,
                      json={"document": document})


def audit(shared, admin, entity, entity_id):
    return T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                               query={"entity": entity, "entity_id": entity_id}), 200)["items"]


def digits(n):
    return "".join(random.choice("0123456789") for _ in range(n))


def db_path(shared):
    return shared.data_dir / "ting.db"


def db_value(shared, sql):
    """One value straight from the server's database (SQLite file or PostgreSQL)."""
    if T.BACKEND == "sqlite":
        con = sqlite3.connect(f"file:{db_path(shared)}?mode=ro", uri=True)
        try:
            row = con.execute(sql).fetchone()
        finally:
            con.close()
        return row[0] if row else None
    out = subprocess.run(["psql", shared.db_url, "-tAc", sql], capture_output=True, text=True,
                         timeout=60, check=True)
    return out.stdout.rstrip("\n") or None


def database_bytes(shared):
    """Every byte the database keeps on disk (SQLite: the file and its WAL)."""
    if T.BACKEND != "sqlite":
        return subprocess.run(["psql", shared.db_url, "-tAc", "SELECT * FROM trunks"],
                              capture_output=True, timeout=60, check=True).stdout
    raw = b""
    for suffix in ("", "-wal"):
        path = str(db_path(shared)) + suffix
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw += f.read()
    return raw


# ---------------------------------------------------------------- IVR flows

def test_publish_makes_the_new_version_current(shared, tok):
    admin = tok("admin")
    name = T.uniq("flow_")
    v1, v2 = T.tiny_flow("Version one"), T.tiny_flow("Version two")
    created = T.expect(publish(shared, admin, name, v1, create=True), 201)
    assert created["name"] == name and created["current_version"] == 1
    assert created["document"] == v1 and created["published_by"] == "admin"
    assert T.RFC3339_MS.match(created["published_at"])

    updated = T.expect(publish(shared, admin, name, v2), 200)
    assert updated["current_version"] == 2 and updated["document"] == v2
    got = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}", token=admin), 200)
    assert got["current_version"] == 2 and got["document"] == v2
    # Supervisors read flows too.
    T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}", token=tok("supervisor")), 200)

    listed = {f["name"]: f for f in T.list_all(shared, admin, "/api/v1/ivr/flows")}
    assert listed[name]["current_version"] == 2
    assert {"id", "name", "current_version", "created_at", "updated_at"} <= set(listed[name])

    versions = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions",
                                   token=admin), 200)["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert all(v["created_by"] == "admin" and T.RFC3339_MS.match(v["created_at"])
               for v in versions)
    old = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions/1", token=admin), 200)
    assert old["document"] == v1 and old["current"] is False and old["version"] == 1
    T.assert_error(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions/3", token=admin), 404)
    T.assert_error(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions/x", token=admin), 404)

    actions = [e["action"] for e in audit(shared, admin, "ivr_flow", name)]
    assert actions == ["publish", "create"], actions


def test_flow_name_is_unique_and_well_formed(shared, tok):
    admin = tok("admin")
    name = T.uniq("flow_")
    T.expect(publish(shared, admin, name, T.tiny_flow(), create=True), 201)
    T.assert_error(publish(shared, admin, name, T.tiny_flow(), create=True), 409, "conflict",
                   "name")
    T.assert_error(publish(shared, admin, "has space", T.tiny_flow(), create=True), 422,
                   "invalid_value", "name")
    T.assert_error(publish(shared, admin, T.uniq("nope_"), T.tiny_flow()), 404, "not_found")


def test_invalid_flow_is_refused_with_every_problem(shared, tok):
    admin = tok("admin")
    name = T.uniq("flow_")
    good = T.tiny_flow("Still serving")
    T.expect(publish(shared, admin, name, good, create=True), 201)

    err = T.assert_error(publish(shared, admin, name, flow_with_problems()), 422, "invalid_flow",
                         "document")
    errors = err["errors"]
    assert len(errors) >= 4, errors
    for e in errors:
        assert set(e) == {"node", "path", "message"}, e
        assert isinstance(e["message"], str) and e["message"]
    by_path = {e["path"]: e for e in errors}
    assert by_path["nodes.menu.choices.1"]["node"] == "menu"
    assert "nowhere" in by_path["nodes.menu.choices.1"]["message"]
    assert "nodes.menu.choices.12" in by_path
    file_errors = [e for e in errors if e["path"].endswith(".file")]
    assert file_errors and file_errors[0]["node"] == "bye"
    assert "no_such_recording" in file_errors[0]["message"]
    assert any(e["node"] == "island" for e in errors), errors

    # Nothing was stored; the running version keeps serving.
    got = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}", token=admin), 200)
    assert got["current_version"] == 1 and got["document"] == good
    versions = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions",
                                   token=admin), 200)["items"]
    assert [v["version"] for v in versions] == [1]

    # An invalid first version creates nothing.
    other = T.uniq("flow_")
    T.assert_error(publish(shared, admin, other, flow_with_problems(), create=True), 422,
                   "invalid_flow")
    T.assert_error(shared.api("GET", f"/api/v1/ivr/flows/{other}", token=admin), 404)


def test_rollback_publishes_a_copy_of_an_old_version(shared, tok):
    admin = tok("admin")
    name = T.uniq("flow_")
    v1, v2 = T.tiny_flow("First"), T.tiny_flow("Second")
    T.expect(publish(shared, admin, name, v1, create=True), 201)
    T.expect(publish(shared, admin, name, v2), 200)
    rolled = T.expect(shared.api("POST", f"/api/v1/ivr/flows/{name}/rollback", token=admin,
                                 json={"version": 1}), 200)
    assert rolled["current_version"] == 3 and rolled["document"] == v1
    got = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}", token=admin), 200)
    assert got["current_version"] == 3 and got["document"] == v1
    versions = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{name}/versions",
                                   token=admin), 200)["items"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    T.assert_error(shared.api("POST", f"/api/v1/ivr/flows/{name}/rollback", token=admin,
                              json={"version": 9}), 422, "invalid_value", "version")
    T.assert_error(shared.api("POST", f"/api/v1/ivr/flows/{T.uniq('no_')}/rollback",
                              token=admin, json={"version": 1}), 404)
    entries = audit(shared, admin, "ivr_flow", name)
    assert entries[0]["action"] == "rollback"
    assert entries[0]["after"]["copied_from_version"] == 1
    assert entries[0]["after"]["current_version"] == 3


# ---------------------------------------------------------------- DIDs

def test_did_is_added_repointed_and_removed(shared, tok):
    admin = tok("admin")
    a, b = T.uniq("flow_a"), T.uniq("flow_b")
    T.expect(publish(shared, admin, a, T.tiny_flow("A"), create=True), 201)
    T.expect(publish(shared, admin, b, T.tiny_flow("B"), create=True), 201)
    number = "+8620" + digits(8)

    def current():
        return {d["number"]: d for d in T.list_all(shared, admin, "/api/v1/dids")}.get(number)

    added = T.expect(shared.api("PUT", f"/api/v1/dids/{number}", token=admin,
                                json={"flow": a}), 201)
    assert added["number"] == number and added["flow"] == a
    assert current()["flow"] == a
    moved = T.expect(shared.api("PUT", f"/api/v1/dids/{number}", token=admin,
                                json={"flow": b}), 200)
    assert moved["flow"] == b and current()["flow"] == b
    filtered = T.expect(shared.api("GET", "/api/v1/dids", token=tok("supervisor"),
                                   query={"flow": b}), 200)["items"]
    assert [d["number"] for d in filtered] == [number]

    T.assert_error(shared.api("PUT", f"/api/v1/dids/{number}", token=admin,
                              json={"flow": T.uniq("none_")}), 422, "invalid_value", "flow")
    assert current()["flow"] == b
    T.assert_error(shared.api("PUT", "/api/v1/dids/12ab", token=admin, json={"flow": a}), 422,
                   "invalid_value", "number")
    T.assert_error(shared.api("PUT", f"/api/v1/dids/{'1' * 33}", token=admin,
                              json={"flow": a}), 422, "invalid_value", "number")

    assert shared.api("DELETE", f"/api/v1/dids/{number}", token=admin)[0] == 204
    assert current() is None
    T.assert_error(shared.api("DELETE", f"/api/v1/dids/{number}", token=admin), 404)
    actions = [e["action"] for e in audit(shared, admin, "did", number)]
    assert actions == ["delete", "update", "create"], actions


def test_demo_did_points_at_the_demo_flow(shared, tok):
    dids = {d["number"]: d for d in T.list_all(shared, tok("admin"), "/api/v1/dids")}
    assert dids["4000"]["flow"] == "hotline"


# ---------------------------------------------------------------- tenant isolation

def test_another_tenant_cannot_see_or_change_any_of_it(shared, tok, acme):
    admin, other = tok("admin"), acme["admin_token"]
    flow = T.uniq("flow_")
    T.expect(publish(shared, admin, flow, T.tiny_flow("Demo only"), create=True), 201)
    number = "5" + digits(7)
    T.expect(shared.api("PUT", f"/api/v1/dids/{number}", token=admin, json={"flow": flow}), 201)
    trunk = T.create_trunk(shared, admin, secret="demo-trunk-secret")
    prompt = T.uniq("demo_prompt")
    T.expect(T.put_prompt(shared, admin, prompt, T.sine_wav()), 201)

    # Lists show none of the demo tenant's rows.
    assert flow not in {f["name"] for f in T.list_all(shared, other, "/api/v1/ivr/flows")}
    assert number not in {d["number"] for d in T.list_all(shared, other, "/api/v1/dids")}
    assert trunk["id"] not in {t["id"] for t in T.list_all(shared, other, "/api/v1/trunks")}
    assert prompt not in {p["name"] for p in T.list_all(shared, other, "/api/v1/prompts")}

    # Reads and changes by name or id answer 404, as for rows that do not exist.
    for method, path, body in [
            ("GET", f"/api/v1/ivr/flows/{flow}", None),
            ("PUT", f"/api/v1/ivr/flows/{flow}", {"document": T.tiny_flow("Hijacked")}),
            ("GET", f"/api/v1/ivr/flows/{flow}/versions", None),
            ("GET", f"/api/v1/ivr/flows/{flow}/versions/1", None),
            ("POST", f"/api/v1/ivr/flows/{flow}/rollback", {"version": 1}),
            ("DELETE", f"/api/v1/dids/{number}", None),
            ("GET", f"/api/v1/trunks/{trunk['id']}", None),
            ("PATCH", f"/api/v1/trunks/{trunk['id']}", {"enabled": False}),
            ("DELETE", f"/api/v1/trunks/{trunk['id']}", None),
            ("GET", f"/api/v1/prompts/{prompt}", None),
            ("DELETE", f"/api/v1/prompts/{prompt}", None)]:
        T.assert_error(shared.api(method, path, token=other, json=body), 404, "not_found")
    # A DID may not point at another tenant's flow.
    T.assert_error(shared.api("PUT", f"/api/v1/dids/{number}", token=other,
                              json={"flow": flow}), 422, "invalid_value", "flow")
    # A prompt of the same name uploaded by acme is acme's own.
    T.expect(T.put_prompt(shared, other, prompt, T.sine_wav(8000)), 201)

    got = T.expect(shared.api("GET", f"/api/v1/ivr/flows/{flow}", token=admin), 200)
    assert got["current_version"] == 1 and got["document"] == T.tiny_flow("Demo only")
    dids = {d["number"]: d for d in T.list_all(shared, admin, "/api/v1/dids")}
    assert dids[number]["flow"] == flow
    assert T.expect(shared.api("GET", f"/api/v1/trunks/{trunk['id']}", token=admin),
                    200)["enabled"] is True
    T.expect(shared.api("GET", f"/api/v1/prompts/{prompt}", token=admin), 200)
    # Demo's audit log holds nothing of acme's, and the other way round.
    assert not audit(shared, other, "ivr_flow", flow)
    # Another tenant may not claim the demo tenant's trunk addresses.
    T.assert_error(shared.api("POST", "/api/v1/trunks", token=other,
                              json={"name": "steal", "inbound_address": "127.0.0.1"}), 409,
                   "conflict", "inbound_address")


# ---------------------------------------------------------------- trunks

def test_trunk_secret_is_never_returned_and_sealed_at_rest(shared, tok):
    admin = tok("admin")
    secret = "Pl4in-" + T.uniq("trunk-secret-")
    trunk = T.create_trunk(shared, admin, name=T.uniq("carrier-"), inbound_address="192.0.2.0/28",
                           outbound_uri="sip:carrier.example.com:5060;transport=udp",
                           username="ting", secret=secret, caller_id="+862088880000")
    assert trunk["has_secret"] is True and "secret" not in trunk and "secret_enc" not in trunk
    assert trunk["inbound_address"] == "192.0.2.0/28" and trunk["enabled"] is True
    assert {"id", "name", "inbound_address", "outbound_uri", "username", "has_secret",
            "caller_id", "enabled", "created_at", "updated_at"} == set(trunk)
    tid = trunk["id"]
    got = T.expect(shared.api("GET", f"/api/v1/trunks/{tid}", token=admin), 200)
    listed = T.list_all(shared, admin, "/api/v1/trunks")
    entries = audit(shared, admin, "trunk", str(tid))
    for thing in (got, listed, entries):
        assert secret not in repr(thing)
    assert entries[0]["after"]["has_secret"] is True and entries[0]["after"]["secret_changed"]

    # At rest: the column holds base64 of nonce || ciphertext, not the secret.
    assert secret.encode() not in database_bytes(shared)
    sealed = db_value(shared, f"SELECT secret_enc FROM trunks WHERE id = {tid}")
    assert sealed and secret not in sealed and len(sealed) > len(secret)
    base64.b64decode(sealed, validate=True)
    assert secret not in shared.log_text()
    key = shared.data_dir / "keys" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700

    # A new secret is sealed anew; "" removes it.
    T.expect(shared.api("PATCH", f"/api/v1/trunks/{tid}", token=admin,
                        json={"secret": "another-one"}), 200)
    resealed = db_value(shared, f"SELECT secret_enc FROM trunks WHERE id = {tid}")
    assert resealed != sealed and "another-one" not in resealed
    cleared = T.expect(shared.api("PATCH", f"/api/v1/trunks/{tid}", token=admin,
                                  json={"secret": ""}), 200)
    assert cleared["has_secret"] is False


def test_trunk_fields_are_checked(shared, tok):
    admin = tok("admin")
    name = T.uniq("trunk-")

    def post(**fields):
        return shared.api("POST", "/api/v1/trunks", token=admin, json=fields)
    for field, value in [("inbound_address", "10.0.0.0/4"), ("inbound_address", "not-an-ip"),
                         ("inbound_address", "203.0.113.0/33"),
                         ("outbound_uri", "http://carrier.example.com"),
                         ("outbound_uri", "sip:user:pw@carrier.example.com"),
                         ("outbound_uri", "sip:carrier.example.com:99999"),
                         ("caller_id", "call-me"), ("username", "has space")]:
        fields = {"name": name, "outbound_uri": "sip:gw.example.com", field: value}
        T.assert_error(post(**fields), 422, "invalid_value", field)
    T.assert_error(post(name=name), 422, "invalid_value")
    T.assert_error(post(outbound_uri="sip:gw.example.com"), 400, "missing_field", "name")
    T.assert_error(post(name=name, outbound_uri="sip:gw.example.com", enabled="yes"), 400,
                   "invalid_field", "enabled")
    T.assert_error(post(name=name, outbound_uri="sip:gw.example.com", password="x"), 400,
                   "unknown_field", "password")
    trunk = T.expect(post(name=name, outbound_uri="sips:gw.example.com:5061"), 201)
    T.assert_error(post(name=name, outbound_uri="sip:gw.example.com"), 409, "conflict", "name")
    T.assert_error(shared.api("PATCH", f"/api/v1/trunks/{trunk['id']}", token=admin,
                              json={"outbound_uri": None}), 422, "invalid_value")
    patched = T.expect(shared.api("PATCH", f"/api/v1/trunks/{trunk['id']}", token=admin,
                                  json={"enabled": False, "caller_id": "4000"}), 200)
    assert patched["enabled"] is False and patched["caller_id"] == "4000"
    assert shared.api("DELETE", f"/api/v1/trunks/{trunk['id']}", token=admin)[0] == 204
    T.assert_error(shared.api("GET", f"/api/v1/trunks/{trunk['id']}", token=admin), 404)


# ---------------------------------------------------------------- SIP passwords

def test_sip_password_stores_only_the_digest_ha1(shared, tok, demo_ids):
    admin = tok("admin")
    user = T.create_user(shared, admin, "agent")
    uid = user["id"]
    assert user["sip_extension"] is None and user["has_sip_secret"] is False
    T.assert_error(shared.api("PUT", f"/api/v1/users/{uid}/sip-password", token=admin,
                              json={"password": "Sip-pass-1234"}), 422, "invalid_value")
    ext = "9" + digits(6)
    patched = T.expect(shared.api("PATCH", f"/api/v1/users/{uid}", token=admin,
                                  json={"sip_extension": ext}), 200)
    assert patched["sip_extension"] == ext and patched["has_sip_secret"] is False

    password = "Sip-" + T.uniq("pw")
    st, _h, body = shared.api("PUT", f"/api/v1/users/{uid}/sip-password", token=admin,
                              json={"password": password})
    assert st == 204, (st, body)
    got = T.expect(shared.api("GET", f"/api/v1/users/{uid}", token=admin), 200)
    assert got["has_sip_secret"] is True and password not in repr(got)
    tenant = T.expect(shared.api("GET", f"/api/v1/tenants/{demo_ids['tenant_id']}",
                                 token=admin), 200)
    realm = tenant["sip_domain"]
    assert realm
    entries = audit(shared, admin, "user", str(uid))
    assert entries[0]["action"] == "sip_password" and password not in repr(entries)
    assert password not in shared.log_text()
    ha1 = db_value(shared, f"SELECT sip_ha1 FROM users WHERE id = {uid}")
    assert ha1 == hashlib.md5(f"{ext}:{realm}:{password}".encode()).hexdigest()

    # The user may set their own; not someone else's.
    token = shared.login("demo", user["username"], T.OTHER_PASSWORD)
    st, _h, body = shared.api("PUT", f"/api/v1/users/{uid}/sip-password", token=token,
                              json={"password": "Own-sip-pass-1"})
    assert st == 204, (st, body)
    T.assert_error(shared.api("PUT", f"/api/v1/users/{demo_ids['admin_id']}/sip-password",
                              token=token, json={"password": "Own-sip-pass-1"}), 403,
                   "forbidden")
    T.assert_error(shared.api("PUT", f"/api/v1/users/{uid}/sip-password", token=admin,
                              json={"password": "short"}), 422, "invalid_value", "password")
    T.assert_error(shared.api("PUT", f"/api/v1/users/{uid}/sip-password", token=admin,
                              json={"password": 12345678}), 400, "invalid_field", "password")

    # A new extension voids the password; extensions are unique and all digits.
    other = T.create_user(shared, admin, "agent")
    T.assert_error(shared.api("PATCH", f"/api/v1/users/{other['id']}", token=admin,
                              json={"sip_extension": ext}), 409, "conflict", "sip_extension")
    for bad in ("1", "12345678901", "70a1"):
        T.assert_error(shared.api("PATCH", f"/api/v1/users/{other['id']}", token=admin,
                                  json={"sip_extension": bad}), 422, "invalid_value",
                       "sip_extension")
    moved = T.expect(shared.api("PATCH", f"/api/v1/users/{uid}", token=admin,
                                json={"sip_extension": ext + "9"}), 200)
    assert moved["has_sip_secret"] is False
    cleared = T.expect(shared.api("PATCH", f"/api/v1/users/{uid}", token=admin,
                                  json={"sip_extension": None}), 200)
    assert cleared["sip_extension"] is None


def test_sip_password_of_another_tenant_is_not_found(shared, tok, acme):
    T.assert_error(shared.api("PUT", f"/api/v1/users/{acme['agent']['id']}/sip-password",
                              token=tok("admin"), json={"password": "Sip-pass-1234"}), 404)


# ---------------------------------------------------------------- prompts

def test_prompt_upload_is_stored_as_8khz_wav(shared, tok):
    admin = tok("admin")
    name = T.uniq("greeting_")
    source = T.sine_wav(16000, 1)
    st, _h, body = T.put_prompt(shared, admin, name, source)
    assert st == 201 and body == {"name": name}, (st, body)
    assert name in {p["name"] for p in T.list_all(shared, admin, "/api/v1/prompts")}

    st, h, audio = shared.api("GET", f"/api/v1/prompts/{name}", token=tok("supervisor"))
    assert st == 200 and h.get("Content-Type") == "audio/wav", (st, h)
    with wave.open(io.BytesIO(audio)) as w:
        assert w.getframerate() == 8000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        assert abs(w.getnframes() - 8000) <= 80, w.getnframes()
        frames = w.readframes(w.getnframes())
    assert any(frames), "the tone is not silence"

    assert T.put_prompt(shared, admin, name, T.sine_wav(8000, 2))[0] == 200
    with wave.open(io.BytesIO(shared.api("GET", f"/api/v1/prompts/{name}", token=admin)[2])) as w:
        assert abs(w.getnframes() - 16000) <= 160
    actions = [e["action"] for e in audit(shared, admin, "prompt", name)]
    assert actions == ["update", "create"], actions

    # A flow may now play it; the recording cannot go while the flow plays it.
    flow = T.uniq("flow_")
    doc = {"start": "hello", "nodes": {"hello": {"type": "play", "prompt": {"file": name},
                                                 "next": "bye"},
                                       "bye": {"type": "hangup"}}}
    T.expect(publish(shared, admin, flow, doc, create=True), 201)
    err = T.assert_error(shared.api("DELETE", f"/api/v1/prompts/{name}", token=admin), 409,
                         "conflict")
    assert flow in err["message"]
    T.expect(publish(shared, admin, flow, T.tiny_flow()), 200)
    assert shared.api("DELETE", f"/api/v1/prompts/{name}", token=admin)[0] == 204
    T.assert_error(shared.api("GET", f"/api/v1/prompts/{name}", token=admin), 404)
    T.assert_error(shared.api("DELETE", f"/api/v1/prompts/{name}", token=admin), 404)
    # Rolling back to the version that played it is refused now.
    err = T.assert_error(shared.api("POST", f"/api/v1/ivr/flows/{flow}/rollback", token=admin,
                                    json={"version": 1}), 422, "invalid_flow")
    assert any(name in e["message"] for e in err["errors"])


def test_bad_uploads_are_refused(shared, tok):
    admin = tok("admin")
    name = T.uniq("bad_")
    err = T.assert_error(T.put_prompt(shared, admin, name, b"RIFF this is not a wave file"), 422,
                         "invalid_audio")
    assert err["message"]
    T.assert_error(T.put_prompt(shared, admin, name, b"\x00" * 4000,
                                content_type="application/octet-stream"), 422, "invalid_audio")
    T.assert_error(T.put_prompt(shared, admin, name, b""), 422, "invalid_audio")
    T.assert_error(shared.api("GET", f"/api/v1/prompts/{name}", token=admin), 404)
    for bad_name in ("has.dot", "x" * 65):
        T.assert_error(T.put_prompt(shared, admin, bad_name, T.sine_wav()), 422,
                       "invalid_value", "name")


def test_upload_over_20_mib_is_413(shared, tok):
    token = tok("admin")
    size = 20 * 1024 * 1024 + 1
    req = (f"PUT /api/v1/prompts/{T.uniq('big_')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Bearer {token}\r\nContent-Type: audio/wav\r\n"
           f"Content-Length: {size}\r\n\r\n").encode() + b"\x00" * size
    T.assert_error(T.raw_http(shared.port, req), 413, "body_too_large")


def test_upload_between_the_json_limit_and_20_mib_is_accepted(shared, tok):
    admin = tok("admin")
    # 60 s at 16 kHz: about 1.9 MB, over the 1 MiB limit of JSON routes.
    audio = T.sine_wav(16000, 60)
    assert len(audio) > 1 << 20
    st, _h, body = T.put_prompt(shared, admin, T.uniq("long_"), audio)
    assert st == 201, (st, body)


# ---------------------------------------------------------------- bodies and settings

def test_bad_json_fields_name_the_field(shared, tok):
    admin = tok("admin")
    flow = T.uniq("flow_")
    T.expect(publish(shared, admin, flow, T.tiny_flow(), create=True), 201)
    cases = [
        ("POST", "/api/v1/ivr/flows", {"name": 5, "document": T.tiny_flow()}, "invalid_field",
         "name"),
        ("POST", "/api/v1/ivr/flows", {"name": "x", "document": "{}"}, "invalid_field",
         "document"),
        ("POST", "/api/v1/ivr/flows", {"name": "x"}, "missing_field", "document"),
        ("PUT", f"/api/v1/ivr/flows/{flow}", {"document": [1]}, "invalid_field", "document"),
        ("PUT", f"/api/v1/ivr/flows/{flow}", {"document": T.tiny_flow(), "note": "x"},
         "unknown_field", "note"),
        ("POST", f"/api/v1/ivr/flows/{flow}/rollback", {"version": "1"}, "invalid_field",
         "version"),
        ("PUT", "/api/v1/dids/4000", {"flow": 1}, "invalid_field", "flow"),
        ("PUT", "/api/v1/dids/4000", {}, "missing_field", "flow"),
        ("POST", "/api/v1/trunks", {"name": "t", "enabled": 1}, "invalid_field", "enabled"),
        ("PUT", "/api/v1/users/1/sip-password", {"password": "Sip-pass-1234", "pass": "x"},
         "unknown_field", "pass"),
        ("PATCH", "/api/v1/users/1", {"sip_extension": 7001}, "invalid_field",
         "sip_extension"),
    ]
    for method, path, body, code, field in cases:
        T.assert_error(shared.api(method, path, token=admin, json=body), 400, code, field)
    T.assert_error(shared.api("PUT", f"/api/v1/ivr/flows/{flow}", token=admin,
                              data=b'{"document": {'), 400, "invalid_json")
    dids = {d["number"]: d for d in T.list_all(shared, admin, "/api/v1/dids")}
    assert dids["4000"]["flow"] == "hotline"


def test_tenant_telephony_settings(shared, tok, acme, demo_ids):
    op, admin, other = tok("operator"), tok("admin"), acme["admin_token"]
    acme_id, demo_id = acme["tenant_id"], demo_ids["tenant_id"]
    got = T.expect(shared.api("GET", f"/api/v1/tenants/{acme_id}", token=op), 200)
    assert got["max_calls"] == 0 and got["recording_retention_days"] == 0
    assert got["slug"] == "acme"

    changed = T.expect(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                                  json={"max_calls": 5, "recording_retention_days": 30}), 200)
    assert changed["max_calls"] == 5 and changed["recording_retention_days"] == 30
    mine = T.expect(shared.api("GET", f"/api/v1/tenants/{acme_id}", token=other), 200)
    assert mine["max_calls"] == 5 and mine["recording_retention_days"] == 30
    listed = {t["id"]: t for t in T.list_all(shared, op, "/api/v1/tenants")}
    assert listed[acme_id]["max_calls"] == 5

    # A tenant admin sets retention, not the operator's limits, and sees no other tenant.
    kept = T.expect(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=other,
                               json={"recording_retention_days": 0}), 200)
    assert kept["recording_retention_days"] == 0 and kept["max_calls"] == 5
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=other,
                              json={"max_calls": 0}), 403, "forbidden", "max_calls")
    T.assert_error(shared.api("GET", f"/api/v1/tenants/{demo_id}", token=other), 404)
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{demo_id}", token=other,
                              json={"recording_retention_days": 1}), 404)
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                              json={"recording_retention_days": 3651}), 422, "invalid_value",
                   "recording_retention_days")
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                              json={"max_calls": -1}), 422, "invalid_value", "max_calls")
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                              json={"max_calls": "5"}), 400, "invalid_field", "max_calls")

    # SIP domains are unique and well formed.
    demo_domain = T.expect(shared.api("GET", f"/api/v1/tenants/{demo_id}", token=admin),
                           200)["sip_domain"]
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                              json={"sip_domain": demo_domain}), 409, "conflict", "sip_domain")
    T.assert_error(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                              json={"sip_domain": "not a domain"}), 422, "invalid_value",
                   "sip_domain")
    set_domain = T.expect(shared.api("PATCH", f"/api/v1/tenants/{acme_id}", token=op,
                                     json={"sip_domain": "ACME.example.com"}), 200)
    assert set_domain["sip_domain"] == "acme.example.com"
    entries = audit(shared, other, "tenant", str(acme_id))
    assert entries[0]["after"]["sip_domain"] == "acme.example.com"
    assert entries[0]["before"]["sip_domain"] is None
