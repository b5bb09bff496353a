"""The CRM's files and owners: customers' owner agents, CSV export and
import as background jobs with progress (followed on the WebSocket), the
export read back by the import, and who may see which job."""

import random

import tingtest as T


def mobile():
    return "137" + "".join(random.choice("0123456789") for _ in range(8))


def wait_job(ws, job_id, timeout=60):
    """Follows job.updated events until the job has finished; returns its last state
    and every percent seen."""
    percents = []

    def finished(msg):
        if msg.get("type") != "event" or msg.get("event") != "job.updated":
            return False
        data = msg.get("data") or {}
        if data.get("id") != job_id:
            return False
        percents.append(data["percent"])
        return data["status"] in ("done", "failed")

    msg, _seen = T.ws_wait_for(ws, finished, timeout=timeout, what=f"job {job_id} to finish")
    return msg["data"], percents


def test_customers_have_an_owner_agent(shared, tok, demo_ids, acme):
    admin = tok("admin")
    agent_id = demo_ids["users"]["1001"]["id"]
    c = T.create_customer(shared, admin, name=T.uniq("owned"), owner_id=agent_id)
    assert c["owner_id"] == agent_id, c
    # The agent finds their own customers.
    mine = T.expect(shared.api("GET", "/api/v1/customers", token=tok("agent"),
                               query={"owner_id": "me", "limit": 200}), 200)["items"]
    assert c["id"] in [x["id"] for x in mine]
    assert all(x["owner_id"] == agent_id for x in mine), mine
    by_id = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                query={"owner_id": agent_id, "limit": 200}), 200)["items"]
    assert c["id"] in [x["id"] for x in by_id]
    # Another tenant's user cannot own a demo customer; nor can nobody at all.
    T.assert_error(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                              json={"owner_id": acme["agent"]["id"]}), 422, field="owner_id")
    T.assert_error(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                              json={"owner_id": 99999999}), 422, field="owner_id")
    T.assert_error(shared.api("GET", "/api/v1/customers", token=admin,
                              query={"owner_id": "someone"}), 400, field="owner_id")
    # null clears it.
    cleared = T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                                  json={"owner_id": None}), 200)
    assert cleared["owner_id"] is None


def test_export_job_writes_a_file_the_import_reads_back(shared, tok, demo_ids):
    admin = tok("admin")
    tag = T.uniq("exp")
    numbers = [mobile(), mobile()]
    made = [
        T.create_customer(shared, admin, name=f"{tag} 王芳", phones=["+86 " + numbers[0], "010-62345678"],
                          email="wang@example.cn", company="=HYPERLINK(\"x\")", tags=[tag, "宽带"],
                          vip_level=3, owner_id=demo_ids["users"]["1001"]["id"],
                          custom_fields={"contract_no": "HT-9", "区域": "华北"}),
        T.create_customer(shared, admin, name=f"{tag} Li, Lei", phone=numbers[1], tags=[tag]),
    ]
    ws, _hello = shared.ws_connect(admin, topics=["jobs"])
    try:
        job = T.expect(shared.api("POST", "/api/v1/customers/export", token=admin,
                                  json={"tag": tag}), 202)
        assert job["kind"] == "customer_export" and job["status"] in ("queued", "running"), job
        done, _percents = wait_job(ws, job["id"])
    finally:
        ws.close()
    assert done["status"] == "done", done
    assert done["result"] == {"rows": 2} and done["percent"] == 100, done
    assert T.expect(shared.api("GET", f"/api/v1/jobs/{job['id']}", token=admin), 200) == done
    st, headers, raw = shared.api("GET", f"/api/v1/jobs/{job['id']}/file", token=admin)
    assert st == 200, raw
    assert headers.get("Content-Type").startswith("text/csv")
    assert "attachment" in headers.get("Content-Disposition")
    assert raw.startswith("\ufeff"), raw[:10]  # spreadsheets need the BOM for Chinese
    lines = raw[1:].split("\r\n")
    assert lines[0] == ("name,phone,email,company,tags,address,notes,vip_level,owner,created_at,"
                        "contract_no,区域"), lines[0]
    assert len([x for x in lines if x]) == 3, lines
    wang = [x for x in lines if "王芳" in x][0]
    # A formula is written as text; numbers with + are quoted the same way.
    assert '"\'=HYPERLINK(""x"")"' in wang, wang
    assert f'"\'+86 {numbers[0]};010-62345678"' in wang, wang
    assert ",3,1001," in wang and wang.endswith(",HT-9,华北"), wang
    assert f'"{tag} Li, Lei"' in raw

    # Read back into another tag: the same cards come out.
    for c in made:
        T.expect(shared.api("DELETE", f"/api/v1/customers/{c['id']}", token=admin), 204)
    st, _h, body = shared.api("POST", "/api/v1/customers/import", token=admin,
                              data=raw.encode(), headers={"Content-Type": "text/csv"})
    assert st == 200 and (body["imported"], body["rejected"]) == (2, 0), body
    back = {c["name"]: c for c in T.expect(shared.api(
        "GET", "/api/v1/customers", token=admin, query={"tag": tag}), 200)["items"]}
    w = back[f"{tag} 王芳"]
    assert [p["e164"] for p in w["phones"]] == ["+86" + numbers[0], "+861062345678"], w
    assert w["vip_level"] == 3 and w["owner_id"] == demo_ids["users"]["1001"]["id"], w
    assert w["custom_fields"] == {"contract_no": "HT-9", "区域": "华北"}, w
    assert sorted(w["tags"]) == sorted([tag, "宽带"]), w
    assert back[f"{tag} Li, Lei"]["phones"][0]["e164"] == "+86" + numbers[1]
    # The export is on the record.
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"action": "export", "limit": 5}), 200)["items"]
    assert any(a["entity"] == "customer" for a in audit), audit


def test_import_job_shows_progress_and_reports_bad_rows(shared, tok):
    admin = tok("admin")
    tag = T.uniq("bulk")
    rows = ["name,phone,tags,owner"]
    bad_lines = []
    for i in range(3000):
        if i % 500 == 7:
            rows.append(f"{tag} bad {i},12345,{tag},")  # not a number
            bad_lines.append(i + 2)
        elif i == 100:
            rows.append(f"{tag} owner,{mobile()},{tag},nobody_here")  # no such user
            bad_lines.append(i + 2)
        else:
            rows.append(f"{tag} {i},{mobile()},{tag},1001" if i % 2 else f"{tag} {i},,{tag},")
    text = "\r\n".join(rows) + "\r\n"
    ws, _hello = shared.ws_connect(admin, topics=["jobs"])
    try:
        job = T.expect(shared.api("POST", "/api/v1/customers/import", token=admin,
                                  query={"async": "true"}, data=text.encode(),
                                  headers={"Content-Type": "text/csv"}), 202)
        done, percents = wait_job(ws, job["id"])
    finally:
        ws.close()
    assert done["status"] == "done", done
    r = done["result"]
    assert (r["rows"], r["rejected"], r["imported"]) == (3000, len(bad_lines),
                                                         3000 - len(bad_lines)), r
    assert [p["line"] for p in r["problems"]] == bad_lines, r["problems"]
    assert {p["field"] for p in r["problems"]} == {"phone", "owner"}, r["problems"]
    # Progress went up on the way (batches of 200 rows are reported).
    assert len(percents) >= 2 and percents == sorted(percents), percents
    assert percents[-1] == 100
    st, _h, report = shared.api("GET", f"/api/v1/jobs/{job['id']}/file", token=admin)
    assert st == 200, report
    assert report.lstrip("\ufeff").startswith("line,field,error\r\n"), report[:40]
    assert len(report.strip().split("\r\n")) == 1 + len(bad_lines)
    total = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                query={"tag": tag, "limit": 1}), 200)
    assert total["items"], total
    owned = T.expect(shared.api("GET", "/api/v1/customers", token=tok("agent"),
                                query={"owner_id": "me", "q": tag, "limit": 5}), 200)["items"]
    assert owned and all(x["owner_id"] is not None for x in owned), owned
    # A file that cannot be imported at all is refused at once, without a job.
    T.assert_error(shared.api("POST", "/api/v1/customers/import", token=admin,
                              query={"async": "true"}, data=b"email\r\na@b.cn\r\n",
                              headers={"Content-Type": "text/csv"}), 400, field="header")
    T.assert_error(shared.api("POST", "/api/v1/customers/import", token=admin,
                              query={"async": "maybe"}, data=text.encode(),
                              headers={"Content-Type": "text/csv"}), 400, field="async")


def test_jobs_belong_to_their_tenant_and_roles(shared, tok, acme):
    admin = tok("admin")
    ws, _hello = shared.ws_connect(admin, topics=["jobs"])
    try:
        job = T.expect(shared.api("POST", "/api/v1/customers/export", token=admin,
                                  json={"tag": T.uniq("none")}), 202)
        done, _p = wait_job(ws, job["id"])
    finally:
        ws.close()
    assert done["status"] == "done" and done["result"] == {"rows": 0}, done
    listed = T.expect(shared.api("GET", "/api/v1/jobs", token=admin,
                                 query={"kind": "customer_export"}), 200)["items"]
    assert job["id"] in [j["id"] for j in listed]
    assert all(j["kind"] == "customer_export" for j in listed)
    # Not to another tenant, nor to agents and QA inspectors.
    for token in (acme["admin_token"],):
        T.assert_error(shared.api("GET", f"/api/v1/jobs/{job['id']}", token=token), 404)
        T.assert_error(shared.api("GET", f"/api/v1/jobs/{job['id']}/file", token=token), 404)
        other = T.expect(shared.api("GET", "/api/v1/jobs", token=token), 200)["items"]
        assert job["id"] not in [j["id"] for j in other]
    for role in ("agent", "qa_inspector"):
        st, _h, _b = shared.api("GET", f"/api/v1/jobs/{job['id']}", token=tok(role))
        assert st == 403, role
        st, _h, _b = shared.api("POST", "/api/v1/customers/export", token=tok(role), json={})
        assert st == 403, role
    T.assert_error(shared.api("GET", "/api/v1/jobs", token=admin, query={"kind": "x"}), 400,
                   field="kind")
    T.assert_error(shared.api("POST", "/api/v1/customers/export", token=admin,
                              json={"owner_id": "x"}), 400, field="owner_id")


def tiny_png():
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"\x00\xff\x00\x00"  # one red pixel, filter byte first
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_images_attach_to_a_customer(shared, tok, acme):
    admin = tok("admin")
    agent = tok("agent")
    c = T.create_customer(shared, admin, name=T.uniq("photo"), phone=mobile())
    png = tiny_png()
    path = f"/api/v1/customers/{c['id']}/attachments"
    a = T.expect(shared.api("POST", path, token=agent, query={"file_name": "C:\\photos\\坏的路由器.png"},
                            data=png, headers={"Content-Type": "image/png"}), 201)
    assert (a["file_name"], a["content_type"], a["size"]) == ("坏的路由器.png", "image/png",
                                                              len(png)), a
    import hashlib
    assert a["sha256"] == hashlib.sha256(png).hexdigest()
    listed = T.expect(shared.api("GET", path, token=agent), 200)["items"]
    assert [x["id"] for x in listed] == [a["id"]]
    st, headers, body = shared.api("GET", f"{path}/{a['id']}", token=agent)
    assert st == 200, body
    assert body == png.decode("utf-8", errors="replace")  # the bytes stored, unchanged
    assert headers.get("Content-Type") == "image/png"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert "filename*=UTF-8''%E5%9D%8F" in headers.get("Content-Disposition"), headers
    # What is not an image is refused, whatever it claims to be.
    T.assert_error(shared.api("POST", path, token=agent, query={"file_name": "x.png"},
                              data=b"<svg onload=alert(1)>", headers={"Content-Type": "image/png"}),
                   422, field="body")
    T.assert_error(shared.api("POST", path, token=agent, data=png,
                              headers={"Content-Type": "image/png"}), 400, field="file_name")
    # QA inspectors and other tenants do not see them.
    st, _h, _b = shared.api("GET", path, token=tok("qa_inspector"))
    assert st == 403
    T.assert_error(shared.api("GET", f"{path}/{a['id']}", token=acme["admin_token"]), 404)
    T.assert_error(shared.api("POST", path, token=acme["admin_token"], query={"file_name": "x.png"},
                              data=png, headers={"Content-Type": "image/png"}), 404)
    # Looking at one is on the record.
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"action": "read_attachment", "entity_id": str(c["id"])}),
                     200)["items"]
    assert audit, audit
    # Agents do not delete; a lead does, and it is gone.
    st, _h, _b = shared.api("DELETE", f"{path}/{a['id']}", token=agent)
    assert st == 403
    T.expect(shared.api("DELETE", f"{path}/{a['id']}", token=tok("team_lead")), 204)
    T.assert_error(shared.api("GET", f"{path}/{a['id']}", token=agent), 404)
    # Deleting the customer takes their attachments along.
    b = T.expect(shared.api("POST", path, token=agent, query={"file_name": "b.png"}, data=png,
                            headers={"Content-Type": "image/png"}), 201)
    T.expect(shared.api("DELETE", f"/api/v1/customers/{c['id']}", token=admin), 204)
    T.assert_error(shared.api("GET", f"{path}/{b['id']}", token=admin), 404)


def test_custom_fields_defined_per_tenant_check_cards_and_imports(shared, tok, acme):
    admin = tok("admin")
    suffix = T.uniq("")
    contract, since, plan, paper = (f"contract_{suffix}", f"since_{suffix}", f"plan_{suffix}",
                                    f"paper_{suffix}")
    made = {}
    for body in ({"key": contract, "label": f"合同号{suffix}", "label_en": f"Contract {suffix}",
                  "type": "number", "position": 1},
                 {"key": since, "label": f"开户日期{suffix}", "type": "date", "position": 2},
                 {"key": plan, "label": f"套餐{suffix}", "type": "choice",
                  "choices": ["Gold", "Silver"], "position": 3},
                 {"key": paper, "label": f"纸质账单{suffix}", "type": "boolean", "position": 4}):
        made[body["key"]] = T.expect(shared.api("POST", "/api/v1/customer-fields", token=admin,
                                                json=body), 201)
    listed = T.expect(shared.api("GET", "/api/v1/customer-fields", token=tok("agent")),
                      200)["items"]
    assert [d["key"] for d in listed if d["key"].endswith(suffix)] == [
        contract, since, plan, paper], listed
    # Refusals: a taken key, a choice without choices, a key or type change, agents.
    T.assert_error(shared.api("POST", "/api/v1/customer-fields", token=admin,
                              json={"key": contract, "label": "x", "type": "text"}), 409,
                   field="key")
    T.assert_error(shared.api("POST", "/api/v1/customer-fields", token=admin,
                              json={"key": "k" + suffix, "label": "x", "type": "choice"}), 422,
                   field="choices")
    T.assert_error(shared.api("PATCH", f"/api/v1/customer-fields/{made[plan]['id']}",
                              token=admin, json={"type": "text"}), 422, field="type")
    T.assert_error(shared.api("POST", "/api/v1/customer-fields", token=tok("agent"),
                              json={"key": "k" + suffix, "label": "x", "type": "text"}), 403)

    # Values arrive as text and are kept in their type; a bad one names the field.
    c = T.create_customer(shared, admin, name=f"字段 {suffix}", custom_fields={
        contract: "10086", since: "2019/3/7", plan: "gold", paper: "是", "free": "any text"})
    assert c["custom_fields"] == {contract: 10086, since: "2019-03-07", plan: "Gold",
                                  paper: True, "free": "any text"}, c
    for bad, value in ((contract, "HT-1"), (since, "2019-02-30"), (plan, "Bronze"),
                       (paper, "maybe")):
        T.assert_error(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                                  json={"custom_fields": {bad: value}}), 422,
                       field=f"custom_fields.{bad}")
    # A choice gains an option: it is accepted from then on.
    T.expect(shared.api("PATCH", f"/api/v1/customer-fields/{made[plan]['id']}", token=admin,
                        json={"choices": ["Gold", "Silver", "Bronze"]}), 200)
    got = T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                              json={"custom_fields": {plan: "BRONZE"}}), 200)
    assert got["custom_fields"][plan] == "Bronze", got

    # A CSV names the fields by their labels; a bad value rejects its row only.
    tag = T.uniq("cf")
    mobiles = [mobile(), mobile()]
    csv = (f"name,phone,tags,合同号{suffix},Contract {suffix}x,开户日期{suffix},套餐{suffix}\r\n"
           f"好行,{mobiles[0]},{tag},12,extra,2020-1-2,silver\r\n"
           f"坏行,{mobiles[1]},{tag},twelve,extra,2020-1-2,silver\r\n")
    st, _h, body = shared.api("POST", "/api/v1/customers/import", token=admin,
                              data=csv.encode(), headers={"Content-Type": "text/csv"})
    assert st == 200 and (body["imported"], body["rejected"]) == (1, 1), body
    assert body["problems"][0]["line"] == 3, body
    assert body["problems"][0]["field"] == f"custom_fields.{contract}", body
    good = T.expect(shared.api("GET", "/api/v1/customers", token=admin, query={"tag": tag}),
                    200)["items"]
    assert len(good) == 1 and good[0]["custom_fields"] == {
        contract: 12, f"Contract_{suffix}x": "extra", since: "2020-01-02", plan: "Silver"}, good

    # Another tenant has none of them; removing one keeps the values on the cards.
    theirs = T.expect(shared.api("GET", "/api/v1/customer-fields", token=acme["admin_token"]),
                      200)["items"]
    assert not [d for d in theirs if d["key"].endswith(suffix)], theirs
    T.expect(shared.api("DELETE", f"/api/v1/customer-fields/{made[contract]['id']}",
                        token=admin), 204)
    kept = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert kept["custom_fields"][contract] == 10086, kept
    T.assert_error(shared.api("DELETE", f"/api/v1/customer-fields/{made[since]['id']}",
                              token=acme["admin_token"]), 404)
    T.assert_error(shared.api("PATCH", f"/api/v1/customer-fields/{made[since]['id']}",
                              token=acme["admin_token"], json={"label": "x"}), 404)
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"entity": "customer_field", "limit": 20}), 200)["items"]
    assert {"create", "update", "delete"} <= {a["action"] for a in audit}, audit
