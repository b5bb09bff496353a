"""Lists: keyset pagination, sorting, filters and query validation."""

import random

import pytest

import tingtest as T


@pytest.fixture(scope="module")
def batch(shared, tok):
    """30 customers with a common prefix, created in an order unrelated to their names."""
    admin = tok("admin")
    prefix = T.uniq("Pg") + "-"
    order = list(range(30))
    random.Random(7).shuffle(order)
    made = []
    for n in order:
        fields = {"name": f"{prefix}{n:02d}", "vip": n % 3 == 0}
        if n == 5:
            fields["phone"] = "13912345605"
        made.append(T.create_customer(shared, admin, **fields))
    return {"prefix": prefix, "customers": made, "token": admin}


def walk(shared, token, query, limit):
    pages = []
    q = dict(query, limit=limit)
    for _ in range(100):
        body = T.expect(shared.api("GET", "/api/v1/customers", token=token, query=q), 200)
        assert set(body) >= {"items", "next_cursor"}, body
        assert len(body["items"]) <= limit
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        assert isinstance(body["next_cursor"], str) and body["next_cursor"]
        q["cursor"] = body["next_cursor"]
    raise AssertionError("pagination never ended")


def test_walk_by_name_with_limit_7(shared, batch):
    pages = walk(shared, batch["token"], {"q": batch["prefix"], "sort": "name"}, 7)
    items = [c for p in pages for c in p]
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids)) == 30, ids
    assert set(ids) == {c["id"] for c in batch["customers"]}
    assert [c["name"] for c in items] == sorted(c["name"] for c in batch["customers"])
    assert [len(p) for p in pages[:4]] == [7, 7, 7, 7]
    assert len(pages) == 5 and len(pages[4]) == 2
    for c in items:
        assert T.CUSTOMER_KEYS <= set(c), c


def test_walk_descending_created_at(shared, batch):
    pages = walk(shared, batch["token"], {"q": batch["prefix"], "sort": "-created_at"}, 7)
    items = [c for p in pages for c in p]
    assert len({c["id"] for c in items}) == len(items) == 30
    stamps = [c["created_at"] for c in items]
    assert stamps == sorted(stamps, reverse=True), stamps
    for s in stamps:
        assert T.RFC3339_MS.match(s), s
    # Creation order reversed, ties (same millisecond) aside.
    created = [c["id"] for c in batch["customers"]]
    pos = {cid: i for i, cid in enumerate(created)}
    ranks = [pos[c["id"]] for c in items]
    for a, b in zip(items, items[1:]):
        if a["created_at"] != b["created_at"]:
            assert pos[a["id"]] > pos[b["id"]], ranks


def test_descending_name(shared, batch):
    pages = walk(shared, batch["token"], {"q": batch["prefix"], "sort": "-name"}, 7)
    names = [c["name"] for p in pages for c in p]
    assert names == sorted(names, reverse=True) and len(names) == 30


def test_rows_written_while_paging_do_not_repeat_or_skip(shared, batch):
    token = batch["token"]
    prefix = batch["prefix"]
    q = {"q": prefix, "sort": "name", "limit": 7}
    first = T.expect(shared.api("GET", "/api/v1/customers", token=token, query=q), 200)
    seen = [c["id"] for c in first["items"]]
    # Rows sorting before and after the cursor appear meanwhile.
    early = T.create_customer(shared, token, name=prefix + "00-early")
    late = T.create_customer(shared, token, name=prefix + "99-late")
    q["cursor"] = first["next_cursor"]
    while True:
        body = T.expect(shared.api("GET", "/api/v1/customers", token=token, query=q), 200)
        seen += [c["id"] for c in body["items"]]
        if not body["next_cursor"]:
            break
        q["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)), "a row repeated"
    originals = {c["id"] for c in batch["customers"]}
    assert originals <= set(seen), "a row was skipped"
    assert late["id"] in seen
    assert early["id"] not in seen
    for c in (early, late):
        assert shared.api("DELETE", f"/api/v1/customers/{c['id']}", token=token)[0] == 204


def test_filter_vip(shared, batch):
    items = T.list_all(shared, batch["token"], "/api/v1/customers",
                       {"q": batch["prefix"], "vip": "true"})
    want = {c["id"] for c in batch["customers"] if c["vip"]}
    assert {c["id"] for c in items} == want and len(want) == 10
    items = T.list_all(shared, batch["token"], "/api/v1/customers",
                       {"q": batch["prefix"], "vip": "false"})
    assert len(items) == 20 and not any(c["vip"] for c in items)


def test_filter_phone(shared, batch):
    items = T.list_all(shared, batch["token"], "/api/v1/customers", {"phone": "13912345605"})
    assert [c["name"] for c in items] == [batch["prefix"] + "05"]


def test_filter_q_matches_nothing(shared, batch):
    body = T.expect(shared.api("GET", "/api/v1/customers", token=batch["token"],
                               query={"q": T.uniq("nothing-")}), 200)
    assert body == {"items": [], "next_cursor": None} or (body["items"] == []
                                                          and body["next_cursor"] is None)


def test_default_limit_is_50(shared, tok, batch):
    body = T.expect(shared.api("GET", "/api/v1/customers", token=tok("admin")), 200)
    total = len(T.list_all(shared, tok("admin"), "/api/v1/customers"))
    assert len(body["items"]) == min(50, total)
    if total > 50:
        assert body["next_cursor"]


def test_limit_bounds(shared, tok):
    admin = tok("admin")
    for bad in ["0", "201", "500", "-1", "abc", "1.5"]:
        T.assert_error(shared.api("GET", "/api/v1/customers", token=admin,
                                  query={"limit": bad}), 400, "invalid_query", "limit")
    for good in ["1", "200"]:
        T.expect(shared.api("GET", "/api/v1/customers", token=admin, query={"limit": good}), 200)


def test_unknown_query_parameter_is_400_naming_it(shared, tok):
    admin = tok("admin")
    for path in ["/api/v1/customers", "/api/v1/users", "/api/v1/audit"]:
        T.assert_error(shared.api("GET", path, token=admin, query={"colour": "red"}), 400,
                       "invalid_query", "colour")
    T.assert_error(shared.api("GET", "/api/v1/tenants", token=tok("operator"),
                              query={"colour": "red"}), 400, "invalid_query", "colour")
    # A filter of one list is unknown on another.
    T.assert_error(shared.api("GET", "/api/v1/users", token=admin, query={"vip": "true"}), 400,
                   "invalid_query", "vip")


def test_bad_sort_and_cursor_and_filter_values(shared, tok):
    admin = tok("admin")
    for sort in ["colour", "-", "--name", "password", "name,created_at"]:
        T.assert_error(shared.api("GET", "/api/v1/customers", token=admin,
                                  query={"sort": sort}), 400, "invalid_query", "sort")
    T.assert_error(shared.api("GET", "/api/v1/users", token=admin, query={"sort": "name"}),
                   400, "invalid_query", "sort")
    for cursor in ["garbage", "AAAA", "%%%"]:
        st, h, body = shared.api("GET", "/api/v1/customers", token=admin,
                                 query={"cursor": cursor})
        T.assert_error((st, h, body), 400, "invalid_query", "cursor")
    T.assert_error(shared.api("GET", "/api/v1/customers", token=admin, query={"vip": "maybe"}),
                   400, "invalid_query", "vip")
    T.assert_error(shared.api("GET", "/api/v1/audit", token=admin, query={"since": "yesterday"}),
                   400, "invalid_query", "since")


def test_cursor_of_one_sort_is_not_valid_for_another(shared, batch):
    body = T.expect(shared.api("GET", "/api/v1/customers", token=batch["token"],
                               query={"q": batch["prefix"], "sort": "name", "limit": 3}), 200)
    st, _h, got = shared.api("GET", "/api/v1/customers", token=batch["token"],
                             query={"q": batch["prefix"], "sort": "-created_at", "limit": 3,
                                    "cursor": body["next_cursor"]})
    assert st in (200, 400), (st, got)
    if st == 400:
        T.assert_error((st, _h, got), 400, "invalid_query", "cursor")


def test_users_filter_role_and_sort_username(shared, tok):
    admin = tok("admin")
    agents = T.list_all(shared, admin, "/api/v1/users", {"role": "agent", "sort": "username"})
    names = [u["username"] for u in agents]
    assert {"1001", "1002", "1003", "1004", "1005"} <= set(names)
    assert all(u["role"] == "agent" for u in agents)
    assert names == sorted(names)
    for u in agents:
        assert T.USER_KEYS <= set(u), u
        assert not any("password" in k or "hash" in k for k in u), u
    desc = T.list_all(shared, admin, "/api/v1/users", {"sort": "-username"})
    dn = [u["username"] for u in desc]
    assert dn == sorted(dn, reverse=True)
    T.assert_error(shared.api("GET", "/api/v1/users", token=admin, query={"role": "emperor"}),
                   400, "invalid_query", "role")


def test_users_q(shared, tok):
    admin = tok("admin")
    items = T.list_all(shared, admin, "/api/v1/users", {"q": "1003"})
    assert "1003" in {u["username"] for u in items}
    assert "admin" not in {u["username"] for u in items}


def test_walk_by_updated_at(shared, batch):
    pages = walk(shared, batch["token"], {"q": batch["prefix"], "sort": "updated_at"}, 7)
    items = [c for p in pages for c in p]
    assert len({c["id"] for c in items}) == len(items) == 30
    stamps = [c["updated_at"] for c in items]
    assert stamps == sorted(stamps)


def test_tenant_list_pages_like_every_list(shared, tok, acme):
    """"Every list endpoint" takes limit and cursor: the tenant list too."""
    op = tok("operator")
    q = {"limit": 1}
    slugs = []
    for _ in range(200):
        st, _h, body = shared.api("GET", "/api/v1/tenants", token=op, query=q)
        assert st == 200, (st, body)
        assert len(body["items"]) <= 1
        slugs += [t["slug"] for t in body["items"]]
        if not body["next_cursor"]:
            break
        q["cursor"] = body["next_cursor"]
    assert len(slugs) == len(set(slugs)) and {"demo", "acme"} <= set(slugs), slugs
    T.assert_error(shared.api("GET", "/api/v1/tenants", token=op, query={"limit": 0}), 400,
                   "invalid_query", "limit")
