"""The knowledge base: Ting's default articles and reply scripts in Chinese and
English, editable per tenant, scripts filled in for the call at hand, and
suggestions by work-order category."""

import tingtest as T


def scripts(shared, token, **query):
    q = {"kind": "script", "limit": "200"}
    q.update(query)
    return T.expect(shared.api("GET", "/api/v1/kb", token=token, query=q), 200)["items"]


def test_default_scripts_in_both_languages(shared, tok):
    agent = tok("agent")
    zh = scripts(shared, agent, lang="zh")
    en = scripts(shared, agent, lang="en")
    situations = {s["situation"] for s in zh}
    assert len(zh) >= 18 and {s["situation"] for s in en} >= situations, (zh, en)
    for key in ("silent_caller", "staff_number", "wants_manager", "abuse", "when_reply",
                "could_not_get_through"):
        assert key in situations, key
    staff = next(s for s in zh if s["situation"] == "staff_number")
    assert "{{agent_staff_no}}" in staff["body"]
    articles = T.expect(shared.api("GET", "/api/v1/kb", token=agent,
                                   query={"kind": "article", "lang": "en"}), 200)["items"]
    assert any(a["situation"] == "complaint_method" for a in articles), articles


def test_render_fills_the_call_at_hand(shared, tok):
    agent = tok("agent")
    customer = T.create_customer(shared, agent, name="钱女士 Ms Qian", phone="13566667777")
    w = T.expect(shared.api("POST", "/api/v1/work-orders", token=agent,
                            json={"subject": "网络故障", "customer_id": customer["id"],
                                  "promised_reply_at": "2026-12-01T10:00:00Z"}), 201)
    complaint = next(s for s in scripts(shared, agent, lang="zh", situation="complaint"))
    got = T.expect(shared.api("POST", f"/api/v1/kb/{complaint['id']}/render", token=agent,
                              json={"work_order_id": w["id"]}), 200)
    assert "钱女士 Ms Qian" in got["text"] and w["reference"] in got["text"], got
    # 10:00 UTC is 18:00 in the tenant's Asia/Shanghai.
    assert "2026-12-01 18:00" in got["text"], got
    assert got["missing"] == [], got
    staff = next(s for s in scripts(shared, agent, lang="en", situation="staff_number"))
    got = T.expect(shared.api("POST", f"/api/v1/kb/{staff['id']}/render", token=agent,
                              json={}), 200)
    assert "1001" in got["text"], got
    manager = next(s for s in scripts(shared, agent, lang="en", situation="wants_manager"))
    got = T.expect(shared.api("POST", f"/api/v1/kb/{manager['id']}/render", token=agent,
                              json={"variables": {"promised_reply_at": "tomorrow 10:00"}}), 200)
    assert "tomorrow 10:00" in got["text"], got
    T.assert_error(shared.api("POST", f"/api/v1/kb/{manager['id']}/render", token=agent,
                              json={"work_order_id": 999999999}), 422, field="work_order_id")


def test_tenants_edit_their_own_copy(shared, tok, acme):
    admin, lead = tok("admin"), tok("team_lead")
    cats = T.expect(shared.api("GET", "/api/v1/work-order-categories", token=admin),
                    200)["items"]
    broadband = next(c for c in cats if c["name_en"] == "Broadband fault")
    network = next(c for c in cats if c["name_en"] == "Network")
    art = T.expect(shared.api("POST", "/api/v1/kb", token=lead,
                              json={"kind": "article", "lang": "zh", "title": "宽带故障排查",
                                    "body": "先请客户重启光猫，再查看指示灯。",
                                    "category_id": broadband["id"]}), 201)
    parent = T.expect(shared.api("POST", "/api/v1/kb", token=lead,
                                 json={"kind": "article", "lang": "zh", "title": "网络类通用说明",
                                       "body": "网络问题先确认地址和账号。",
                                       "category_id": network["id"]}), 201)
    sugg = T.expect(shared.api("GET", "/api/v1/kb/suggestions", token=tok("agent"),
                               query={"category_id": str(broadband["id"])}), 200)["items"]
    ids = [s["id"] for s in sugg]
    assert ids.index(art["id"]) < ids.index(parent["id"]), sugg
    assert sugg[ids.index(art["id"])]["suggested_for"] == "category"
    assert sugg[ids.index(parent["id"])]["suggested_for"] == "parent_category"
    # Then the defaults for handling any complaint, in Chinese when asked so.
    zh = T.expect(shared.api("GET", "/api/v1/kb/suggestions", token=tok("agent"),
                             query={"category_id": str(broadband["id"]), "lang": "zh"}),
                  200)["items"]
    general = [s for s in zh if s["suggested_for"] == "any_complaint"]
    assert [s["situation"] for s in general][:2] == ["complaint_method", "complaint"], general
    assert all(s["lang"] == "zh" and s["category_id"] is None for s in general), general
    assert zh.index(general[0]) > max(i for i, s in enumerate(zh)
                                      if s["suggested_for"] != "any_complaint")
    T.assert_error(shared.api("POST", "/api/v1/kb", token=lead,
                              json={"kind": "poem", "lang": "zh", "title": "x", "body": "y"}),
                   422, field="kind")
    T.assert_error(shared.api("POST", "/api/v1/kb", token=tok("agent"),
                              json={"kind": "article", "lang": "zh", "title": "x", "body": "y"}),
                   403)
    # Another tenant has its own defaults and cannot see this one's entries.
    other = acme["admin_token"]
    theirs = scripts(shared, other, lang="zh")
    assert len(theirs) >= 18
    T.assert_error(shared.api("GET", f"/api/v1/kb/{art['id']}", token=other), 404)
    # A deleted default comes back only when asked for.
    silent = next(s for s in scripts(shared, admin, lang="en", situation="silent_caller"))
    T.expect(shared.api("DELETE", f"/api/v1/kb/{silent['id']}", token=admin), 204)
    assert not scripts(shared, admin, lang="en", situation="silent_caller")
    got = T.expect(shared.api("POST", "/api/v1/kb/defaults", token=admin), 200)
    assert got["added"] == 1, got
    assert len(scripts(shared, admin, lang="en", situation="silent_caller")) == 1
