"""Full-text search through the API: work orders, customers and the knowledge
base found in Chinese and English within moments of being written (also by
`ting import customers` beside the server), ranked with highlighted snippets,
per tenant and per role."""

import tingtest as T


def search(shared, token, **query):
    return T.expect(shared.api("GET", "/api/v1/search", token=token, query=query), 200)["items"]


def found(shared, token, what, **query):
    """Polls the search until a hit of `what` ((kind, id)) shows up (the index follows the
    database within a second or two)."""
    def hit():
        items = search(shared, token, **query)
        return items if what in [(h["kind"], h["id"]) for h in items] else None
    return T.poll(hit, 20, interval=0.2, what=f"{what} in search {query}")


def test_work_orders_and_customers_in_both_languages(shared, tok, acme):
    agent = tok("agent")
    customer = T.create_customer(shared, agent, name="欧阳锋 Ouyang Feng", phone="13577778888",
                                 company="白驼山庄 White Camel Estate")
    w = T.expect(shared.api("POST", "/api/v1/work-orders", token=agent,
                            json={"subject": "光纤宽带频繁掉线 fibre keeps dropping",
                                  "description": "客户反映晚上八点以后网速很慢，已经持续一周。",
                                  "customer_id": customer["id"]}), 201)
    hits = found(shared, agent, ("work_order", w["id"]), q="宽带掉线")
    top = next(h for h in hits if h["id"] == w["id"])
    assert "<mark>" in top["snippet"], top
    found(shared, agent, ("work_order", w["id"]), q="dropping fibre")
    found(shared, agent, ("work_order", w["id"]), q=w["reference"])
    found(shared, agent, ("customer", customer["id"]), q="欧阳锋")
    found(shared, agent, ("customer", customer["id"]), q="13577778888")
    found(shared, agent, ("customer", customer["id"]), q="camel estate")
    # Kinds filter and the roles' limits.
    only = search(shared, agent, q="欧阳锋", kinds="work_order")
    assert all(h["kind"] == "work_order" for h in only), only
    qa = search(shared, tok("qa_inspector"), q="欧阳锋 13577778888")
    assert all(h["kind"] != "customer" for h in qa), qa
    # Another tenant never sees it.
    assert search(shared, acme["admin_token"], q="欧阳锋") == []
    assert search(shared, acme["admin_token"], q=w["reference"]) == []
    T.assert_error(shared.api("GET", "/api/v1/search", token=agent, query={"q": "x",
                                                                          "kinds": "emails"}),
                   400, field="kinds")
    T.assert_error(shared.api("GET", "/api/v1/search", token=agent), 400, field="q")
    # Junk never breaks it.
    for junk in ('"unbalanced', "AND OR NOT (", "\\x00\\xff", "宽" * 600):
        st, _h, body = shared.api("GET", "/api/v1/search", token=agent, query={"q": junk})
        assert st == 200, (junk, st, body)


def test_scripts_are_searchable_and_follow_edits(shared, tok):
    agent, lead = tok("agent"), tok("team_lead")
    scripts = T.expect(shared.api("GET", "/api/v1/kb", token=agent,
                                  query={"kind": "script", "lang": "zh",
                                         "situation": "staff_number"}), 200)["items"]
    staff = scripts[0]
    found(shared, agent, ("script", staff["id"]), q="工号")
    art = T.expect(shared.api("POST", "/api/v1/kb", token=lead,
                              json={"kind": "article", "lang": "en",
                                    "title": "Resetting the optical modem",
                                    "body": "Ask the customer to unplug the ONT for 30 seconds."}),
                   201)
    found(shared, agent, ("article", art["id"]), q="optical modem")
    T.expect(shared.api("DELETE", f"/api/v1/kb/{art['id']}", token=lead), 204)
    T.poll(lambda: all(h["id"] != art["id"] or h["kind"] != "article"
                       for h in search(shared, agent, q="optical modem")),
           20, interval=0.2, what="the deleted article gone from search")


def test_customers_imported_from_the_command_line_become_searchable(shared, tok, tmp_path):
    agent = tok("agent")
    csv_file = tmp_path / "import.csv"
    csv_file.write_text("name,phone,company\n司马迁 Sima Qian,13599990000,太史局 Grand Archive\n",
                        encoding="utf-8")
    out = shared.cli("import", "customers", str(csv_file), "--tenant", "demo", check=True)
    assert "imported 1" in out.stdout, out.stdout

    def hit():
        items = search(shared, agent, q="司马迁", kinds="customer")
        return items or None
    items = T.poll(hit, 20, interval=0.2, what="the imported customer in search")
    assert "Sima Qian" in items[0]["title"], items
