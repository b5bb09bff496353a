"""Audit trail: every write (and every read of a customer) leaves an entry."""

import pytest

import tingtest as T

CREATE = {"create", "created"}
UPDATE = {"update", "updated"}
DELETE = {"delete", "deleted"}
CUSTOMER = {"customer", "customers"}
USER = {"user", "users"}


def entries_for(shared, token, entity_id, entity_kinds=None, **query):
    q = {"entity_id": entity_id}
    q.update(query)
    items = T.list_all(shared, token, "/api/v1/audit", q)
    for e in items:
        assert T.AUDIT_KEYS <= set(e), e
    if entity_kinds:
        items = [e for e in items if e["entity"] in entity_kinds]
    return items


@pytest.fixture(scope="module")
def story(shared, tok, demo_ids):
    """One customer's life: created, read, updated, deleted, with our request ids."""
    admin = tok("admin")
    sup = tok("supervisor")
    rid = T.uniq("rid-")
    st, _h, c = shared.api("POST", "/api/v1/customers", token=admin,
                           json={"name": "Audit Subject", "phone": "13811112222"},
                           headers={"X-Request-Id": rid + "-c"})
    assert st == 201, c
    T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=sup,
                        headers={"X-Request-Id": rid + "-r"}), 200)
    T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                        json={"name": "Audit Subject Renamed", "vip": True},
                        headers={"X-Request-Id": rid + "-u"}), 200)
    st, _h, _b = shared.api("DELETE", f"/api/v1/customers/{c['id']}", token=admin,
                            headers={"X-Request-Id": rid + "-d"})
    assert st == 204
    sup_id = T.expect(shared.api("GET", "/api/v1/me", token=sup), 200)["user"]["id"]
    return {"customer": c, "rid": rid, "admin_id": demo_ids["admin_id"], "sup_id": sup_id,
            "entries": entries_for(shared, admin, c["id"], CUSTOMER)}


def one(entries, actions):
    found = [e for e in entries if e["action"] in actions]
    assert len(found) == 1, (actions, entries)
    return found[0]


def test_create_entry(story):
    e = one(story["entries"], CREATE)
    assert e["before"] is None
    assert e["after"]["name"] == "Audit Subject"
    assert str(e["entity_id"]) == str(story["customer"]["id"])
    assert e["actor_id"] == story["admin_id"]
    assert e["actor"] in ("admin", None) or "admin" in str(e["actor"])
    assert e["request_id"] == story["rid"] + "-c"
    assert T.RFC3339_MS.match(e["at"]), e["at"]


def test_read_of_personal_data_is_audited(story):
    e = one(story["entries"], {"read"})
    assert e["actor_id"] == story["sup_id"]
    assert e["request_id"] == story["rid"] + "-r"


def test_update_entry_has_before_and_after(story):
    e = one(story["entries"], UPDATE)
    assert e["before"]["name"] == "Audit Subject"
    assert e["after"]["name"] == "Audit Subject Renamed"
    assert e["before"].get("vip") in (False, None) and e["after"]["vip"] is True
    assert e["request_id"] == story["rid"] + "-u"


def test_delete_entry(story):
    e = one(story["entries"], DELETE)
    assert e["before"]["name"] == "Audit Subject Renamed"
    assert e["after"] is None
    assert e["request_id"] == story["rid"] + "-d"


def test_newest_first(story):
    ats = [e["at"] for e in story["entries"]]
    assert ats == sorted(ats, reverse=True)
    order = [e["action"] for e in story["entries"]]
    assert order[0] in DELETE and order[-1] in CREATE, order
    ids = [e["id"] for e in story["entries"]]
    assert len(set(ids)) == len(ids)


def test_filters_action_actor_entity_since_until(shared, tok, story):
    admin = tok("admin")
    cid = story["customer"]["id"]
    create = one(story["entries"], CREATE)
    got = entries_for(shared, admin, cid, CUSTOMER, action=create["action"])
    assert [e["id"] for e in got] == [create["id"]]
    got = entries_for(shared, admin, cid, CUSTOMER, actor_id=story["sup_id"])
    assert [e["action"] for e in got] == ["read"]
    got = entries_for(shared, admin, cid, CUSTOMER, entity=create["entity"])
    assert {e["id"] for e in got} == {e["id"] for e in story["entries"]}
    every = {e["id"] for e in story["entries"]}
    past, future = "2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"
    assert {e["id"] for e in entries_for(shared, admin, cid, CUSTOMER, since=past)} == every
    assert entries_for(shared, admin, cid, CUSTOMER, since=future) == []
    assert {e["id"] for e in entries_for(shared, admin, cid, CUSTOMER, until=future)} == every
    assert entries_for(shared, admin, cid, CUSTOMER, until=past) == []
    delete = one(story["entries"], DELETE)
    if delete["at"] > create["at"]:
        got = {e["id"] for e in entries_for(shared, admin, cid, CUSTOMER, since=delete["at"])}
        assert delete["id"] in got and create["id"] not in got


def test_user_writes_are_audited_without_secrets(shared, tok):
    admin = tok("admin")
    u = T.create_user(shared, admin, "agent", password="Very-secret-pw-1",
                      display_name="Audited User")
    T.expect(shared.api("PATCH", f"/api/v1/users/{u['id']}", token=admin,
                        json={"display_name": "Audited User 2", "password": "Other-secret-2"}),
             200)
    entries = entries_for(shared, admin, u["id"], USER)
    c = one(entries, CREATE)
    assert c["after"]["username"] == u["username"]
    up = one(entries, UPDATE)
    assert up["before"]["display_name"] == "Audited User"
    assert up["after"]["display_name"] == "Audited User 2"
    text = str(entries)
    assert "Very-secret-pw-1" not in text and "Other-secret-2" not in text
    assert "$argon2" not in text
    for e in entries:
        for side in (e["before"], e["after"]):
            assert not any("hash" in k for k in (side or {})), side


def test_failed_writes_leave_no_entry(shared, tok):
    admin = tok("admin")
    before = T.expect(shared.api("GET", "/api/v1/audit", token=admin, query={"limit": 1}),
                      200)["items"]
    T.assert_error(shared.api("POST", "/api/v1/users", token=admin,
                              json={"username": "1001", "password": T.OTHER_PASSWORD,
                                    "role": "agent"}), 409, "conflict")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin, json={"name": ""}), 422)
    after = T.expect(shared.api("GET", "/api/v1/audit", token=admin, query={"limit": 1}),
                     200)["items"]
    assert [e["id"] for e in before] == [e["id"] for e in after]


def test_newest_first_holds_under_concurrent_writes(shared, tok):
    """The list is newest first by `at` even when writes overlap; otherwise a reader
    polling with since=<last at> misses entries committed late with an early `at`."""
    import threading
    admin = tok("admin")
    prefix = T.uniq("AuConc-")

    def worker(n):
        for i in range(8):
            shared.api("POST", "/api/v1/customers", token=admin, json={"name": f"{prefix}{n}{i}"})
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    items = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"limit": 64, "action": "create", "entity": "customer"}),
                     200)["items"]
    ours = [e for e in items if str((e.get("after") or {}).get("name", "")).startswith(prefix)]
    assert len(ours) == 64
    inversions = [(a, b) for a, b in zip(ours, ours[1:]) if a["at"] < b["at"]]
    assert not inversions, [(a["id"], a["at"], b["id"], b["at"]) for a, b in inversions][:5]


def test_audit_never_holds_tokens_or_hashes(shared, tok):
    entries = T.list_all(shared, tok("admin"), "/api/v1/audit")
    text = str(entries)
    for secret in ("tk_", "$argon2", T.DEMO_PASSWORD, T.OTHER_PASSWORD):
        assert secret not in text, secret
