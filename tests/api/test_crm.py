"""The CRM's customer card: several numbers normalized with libphonenumber,
lookups that match however a number is written (the screen pop), tags, VIP
levels, the tenant's own fields, masking for roles that need not see numbers,
and tenant isolation of lookups."""

import random

import tingtest as T


def unique_mobile():
    # 139 + 8 random digits: a valid Chinese mobile no other test uses.
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def test_numbers_are_normalized_and_found_however_written(shared, tok):
    admin = tok("admin")
    mobile = unique_mobile()
    c = T.create_customer(shared, admin, name="号码 Numbers",
                          phones=[f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", "010-12345678",
                                  "0" + mobile])
    # The same mobile twice (+86 and 0-prefixed) is kept once; as entered, with E.164.
    assert [(p["e164"], p["kind"]) for p in c["phones"]] == [
        ("+86" + mobile, "mobile"), ("+861012345678", "landline")], c
    assert c["phone"] == f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", c
    for written in (mobile, "+86" + mobile, "0086" + mobile, "0" + mobile,
                    f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"):
        got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                                  query={"number": written}), 200)
        assert got["key"] == "+86" + mobile, got
        assert got["match"] == "one" and got["items"][0]["id"] == c["id"], (written, got)
        listed = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                     query={"phone": written}), 200)["items"]
        assert [x["id"] for x in listed] == [c["id"]], (written, listed)
    # Several customers share a number: the agent chooses.
    other = T.create_customer(shared, admin, name="同号 Same number", phone=mobile)
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": mobile}), 200)
    assert got["match"] == "several", got
    assert {x["id"] for x in got["items"]} == {c["id"], other["id"]}
    # Nobody: offer to create.
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": "13000000001"}), 200)
    assert got["match"] == "none" and got["items"] == [], got
    T.assert_error(shared.api("GET", "/api/v1/customers/lookup", token=admin), 400,
                   field="number")


def test_a_local_caller_without_area_code_finds_the_landline(shared, tok):
    admin = tok("admin")
    local = "6" + "".join(random.choice("0123456789") for _ in range(7))
    beijing = T.create_customer(shared, admin, name="北京座机", phones=["010-" + local])
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": local}), 200)
    assert got["match"] == "one" and got["items"][0]["id"] == beijing["id"], got
    # The same subscriber number in another city: the agent chooses.
    shanghai = T.create_customer(shared, admin, name="上海座机", phones=["021 " + local])
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": local}), 200)
    assert got["match"] == "several", got
    assert {c["id"] for c in got["items"]} == {beijing["id"], shanghai["id"]}, got
    # With the area code it is exact; a mobile's digits never match a landline's tail.
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": "010" + local}), 200)
    assert [c["id"] for c in got["items"]] == [beijing["id"]], got
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": "139" + local}), 200)
    assert got["match"] == "none", got


def test_invalid_numbers_are_refused_naming_the_entry(shared, tok):
    admin = tok("admin")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "phones": ["13800138000", "1380013800"]}),
                   422, field="phones[1]")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "phone": "12345"}), 422, field="phone")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "phones": [12]}), 422, field="phones[0]")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "phone": "13800138000",
                                    "phones": ["13800138000"]}), 422, field="phone")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "vip_level": 6}), 422, field="vip_level")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "custom_fields": {"a b": 1}}), 422,
                   field="custom_fields")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "custom_fields": {"x": {"y": 1}}}), 422,
                   field="custom_fields.x")
    T.assert_error(shared.api("POST", "/api/v1/customers", token=admin,
                              json={"name": "Bad", "tags": [""]}), 422, field="tags")


def test_tags_vip_levels_and_custom_fields(shared, tok):
    admin = tok("admin")
    tag = T.uniq("tag")
    c = T.create_customer(shared, admin, name="标签 Tags", tags=[tag, "宽带", tag],
                          vip_level=3, custom_fields={"contract_no": "HT-2026-001", "seats": 12},
                          address="深圳市南山区科技园 1 号")
    assert c["tags"] == sorted([tag, "宽带"]) and c["vip"] is True and c["vip_level"] == 3, c
    assert c["custom_fields"] == {"contract_no": "HT-2026-001", "seats": 12}, c
    listed = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                 query={"tag": tag}), 200)["items"]
    assert [x["id"] for x in listed] == [c["id"]]
    # vip true keeps a higher level; null removes a custom field; others stay.
    c = T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                            json={"vip": True, "custom_fields": {"seats": None, "region": "华南"}}),
                 200)
    assert c["vip_level"] == 3 and c["custom_fields"] == {"contract_no": "HT-2026-001",
                                                          "region": "华南"}, c
    c = T.expect(shared.api("PATCH", f"/api/v1/customers/{c['id']}", token=admin,
                            json={"vip": False, "tags": []}), 200)
    assert c["vip_level"] == 0 and c["vip"] is False and c["tags"] == [], c
    got = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=admin), 200)
    assert got == c


def test_qa_inspectors_see_numbers_masked(shared, tok):
    admin = tok("admin")
    mobile = unique_mobile()
    c = T.create_customer(shared, admin, name="隐私 Privacy", phone=mobile)
    qa = tok("qa_inspector")
    got = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=qa), 200)
    masked = mobile[:3] + "****" + mobile[-4:]
    assert got["phone"] == masked, got
    assert got["phones"][0]["e164"] == "+86" + mobile[:3] + "****" + mobile[-4:], got
    assert mobile not in str(got)
    found = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=qa,
                                query={"number": mobile}), 200)
    assert found["items"][0]["phone"] == masked and mobile not in str(found), found
    # An agent sees the number.
    agent = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=tok("agent")), 200)
    assert agent["phone"] == mobile


def test_lookups_stay_in_the_tenant(shared, tok, acme):
    # acme's customer has 13700002222; the demo tenant finds nobody by it.
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=tok("admin"),
                              query={"number": acme["customer"]["phone"]}), 200)
    assert got["match"] == "none", got
    mine = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=acme["admin_token"],
                               query={"number": "+86 137 0000 2222"}), 200)
    assert [x["id"] for x in mine["items"]] == [acme["customer"]["id"]], mine


IMPORT_CSV = (
    "\ufeff姓名,电话,Email,company,tags,contract no\r\n"
    "{tag} 王芳,+86 138-0000-{a},wf@example.cn,华为,vip;宽带,HT-1\r\n"
    ",,nobody@example.cn,,,\r\n"                                   # neither name nor phone
    "{tag} Bad number,1380000,,,,\r\n"                              # not a valid number
    "\"{tag} quoted, name\",\"139{b}\",,\"Acme, Inc\",,HT-3\r\n"
    "{tag} Too many,13700000000,a@b.cn,c,d,e,f\r\n"                # 7 fields, header has 6
    "{tag} stray\"quote,13700000001,,,,\r\n"                        # malformed CSV
    ",0755-8888{c},,,,\r\n"                                         # phone only: named by it
)


def import_text(tag):
    return IMPORT_CSV.format(tag=tag, a=str(random.randint(1000, 9999)),
                             b="".join(random.choice("0123456789") for _ in range(8)),
                             c=str(random.randint(1000, 9999)))


def test_csv_import_reports_bad_rows_and_imports_the_rest(shared, tok):
    admin = tok("admin")
    tag = T.uniq("imp")
    text = import_text(tag)
    st, _h, body = shared.api("POST", "/api/v1/customers/import", token=admin,
                              data=text.encode(), headers={"Content-Type": "text/csv"})
    assert st == 200, body
    assert (body["rows"], body["imported"], body["rejected"]) == (7, 3, 4), body
    assert [(p["line"], p["field"]) for p in body["problems"]] == [
        (3, None), (4, "phone"), (6, None), (7, None)], body["problems"]
    assert "neither a name nor a phone" in body["problems"][0]["error"]
    assert "header has 6" in body["problems"][2]["error"]
    # The good rows are there, whole, and found by search and by number.
    found = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                query={"q": tag}), 200)["items"]
    by_name = {c["name"]: c for c in found}
    assert set(by_name) == {f"{tag} 王芳", f"{tag} quoted, name"}, by_name
    wang = by_name[f"{tag} 王芳"]
    assert wang["tags"] == ["vip", "宽带"] and wang["company"] == "华为", wang
    assert wang["custom_fields"] == {"contract_no": "HT-1"}, wang
    assert wang["phones"][0]["kind"] == "mobile"
    assert by_name[f"{tag} quoted, name"]["company"] == "Acme, Inc"
    landline = [line for line in text.splitlines() if line.startswith(",0755")][0]
    number = landline.split(",")[1]
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": number}), 200)
    assert got["match"] == "one" and got["items"][0]["name"] == number, got
    # A file without a usable header imports nothing.
    st, _h, body = shared.api("POST", "/api/v1/customers/import", token=admin,
                              data="email,company\r\na@b.cn,x\r\n".encode(),
                              headers={"Content-Type": "text/csv"})
    assert st == 400 and body["error"]["field"] == "header", body
    # Agents do not import.
    st, _h, _b = shared.api("POST", "/api/v1/customers/import", token=tok("agent"),
                            data=text.encode(), headers={"Content-Type": "text/csv"})
    assert st == 403


def test_import_command_while_the_server_runs(server_factory, tmp_path):
    srv = server_factory(name="import")
    tag = T.uniq("cli")
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(import_text(tag), encoding="utf-8")
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "demo")
    assert out.returncode == 0, (out.stdout, out.stderr)
    summary = out.stdout.strip().splitlines()[-1]
    assert summary.startswith("imported 3, rejected 4 (report: "), summary
    report = summary[len("imported 3, rejected 4 (report: "):-1]
    raw = open(report, encoding="utf-8").read()
    assert raw.startswith("\ufeff"), raw[:10]  # spreadsheets need the BOM for Chinese
    lines = raw[1:].splitlines()
    assert lines[0] == "line,field,error" and [l.split(",")[0] for l in lines[1:]] == [
        "3", "4", "6", "7"], lines
    # The server sees them at once.
    admin = srv.role_token("admin")
    found = T.expect(srv.api("GET", "/api/v1/customers", token=admin, query={"q": tag}),
                     200)["items"]
    assert len(found) == 2, found
    # Again, skipping the customers already there: nothing new.
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "demo", "--on-duplicate",
                  "skip")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith(
        "imported 0, skipped 3, rejected 4 (report: "), out.stdout
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "demo", "--on-duplicate",
                  "twice")
    assert out.returncode == 2 and "--on-duplicate" in out.stderr, out.stderr
    # An explicit report path; a file that cannot be read; an unknown tenant.
    mine = tmp_path / "mine.csv"
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "demo", "--report", str(mine))
    assert out.returncode == 0 and mine.exists(), (out.stdout, out.stderr)
    audit = T.expect(srv.api("GET", "/api/v1/audit", token=admin,
                             query={"action": "import", "limit": 5}), 200)["items"]
    assert {"rows": 7, "imported": 3, "rejected": 4} in [
        a["after"] for a in audit if a["actor"] == "cli"], audit
    # A report that cannot be written: the customers are in, the exit code says what was lost.
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "demo", "--report",
                  str(csv_file / "r.csv"))  # under a file: cannot be created
    assert out.returncode == 1 and "imported 3, rejected 4 (report not written)" in out.stdout, (
        out.stdout, out.stderr)
    out = srv.cli("import", "customers", str(tmp_path / "missing.csv"), "--tenant", "demo")
    assert out.returncode == 2 and "no such file" in out.stderr, out.stderr
    out = srv.cli("import", "customers", str(csv_file), "--tenant", "nope")
    assert out.returncode != 0 and "no tenant" in out.stderr, out.stderr


def test_export_command_writes_what_the_import_reads_back(server_factory, tmp_path):
    srv = server_factory(name="export")
    admin = srv.role_token("admin")
    tag = T.uniq("cliexp")
    users = {u["username"]: u for u in T.expect(srv.api(
        "GET", "/api/v1/users", token=admin, query={"limit": 100}), 200)["items"]}
    numbers = [unique_mobile(), unique_mobile()]
    T.create_customer(srv, admin, name=f"{tag} 张伟", phones=[numbers[0], "021-62345678"],
                      tags=[tag, "投诉"], vip_level=2, owner_id=users["1002"]["id"],
                      custom_fields={"合同号": "HT-77"})
    T.create_customer(srv, admin, name=f"{tag} Plain", phone=numbers[1], tags=[tag])
    T.create_customer(srv, admin, name=f"{tag}-other", phone=unique_mobile())

    dest = tmp_path / "out" / "customers.csv"
    dest.parent.mkdir()
    out = srv.cli("export", "customers", str(dest), "--tenant", "demo", "--tag", tag)
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert out.stdout.strip().splitlines()[-1] == f"exported 2 (file: {dest})", out.stdout
    assert sorted(p.name for p in dest.parent.iterdir()) == ["customers.csv"]  # no .part left
    raw = dest.read_bytes().decode("utf-8")
    assert raw.startswith("\ufeff"), raw[:10]
    lines = [x for x in raw[1:].split("\r\n") if x]
    assert lines[0] == ("name,phone,email,company,tags,address,notes,vip_level,owner,created_at,"
                        "合同号"), lines[0]
    assert len(lines) == 3 and lines[1].startswith(f"{tag} 张伟,"), lines
    assert f"{numbers[0]};021-62345678" in lines[1] and ",2,1002," in lines[1], lines[1]

    # Filters: VIPs only, an owner by staff number, a search; standard output.
    out = srv.cli("export", "customers", "-", "--tenant", "demo", "--tag", tag, "--vip", "no")
    assert out.returncode == 0, out.stderr
    assert [x.split(",")[0] for x in out.stdout.lstrip("\ufeff").splitlines()[1:]] == [
        f"{tag} Plain"], out.stdout
    assert out.stderr.strip().splitlines()[-1] == "exported 1 (file: -)", out.stderr
    out = srv.cli("export", "customers", "-", "--tenant", "demo", "--owner", "1002",
                  "--search", tag)
    assert out.returncode == 0 and f"{tag} 张伟" in out.stdout and "Plain" not in out.stdout, out

    # Read back after deleting the cards: the same customers come out.
    for c in T.expect(srv.api("GET", "/api/v1/customers", token=admin,
                              query={"tag": tag}), 200)["items"]:
        T.expect(srv.api("DELETE", f"/api/v1/customers/{c['id']}", token=admin), 204)
    out = srv.cli("import", "customers", str(dest), "--tenant", "demo")
    assert out.returncode == 0 and "imported 2, rejected 0" in out.stdout, (out.stdout, out.stderr)
    back = {c["name"]: c for c in T.expect(srv.api(
        "GET", "/api/v1/customers", token=admin, query={"tag": tag}), 200)["items"]}
    zhang = back[f"{tag} 张伟"]
    assert [p["e164"] for p in zhang["phones"]] == ["+86" + numbers[0], "+862162345678"], zhang
    assert zhang["owner_id"] == users["1002"]["id"] and zhang["vip_level"] == 2, zhang
    assert zhang["custom_fields"] == {"合同号": "HT-77"}, zhang

    # On the record, with the filter.
    audit = T.expect(srv.api("GET", "/api/v1/audit", token=admin,
                             query={"action": "export", "limit": 10}), 200)["items"]
    assert {"rows": 2, "tag": tag} in [a["after"] for a in audit if a["actor"] == "cli"], audit

    # Bad options, an unknown owner or tenant, a file that cannot be written.
    out = srv.cli("export", "customers", "-", "--tenant", "demo", "--vip", "maybe")
    assert out.returncode == 2 and "--vip" in out.stderr, out.stderr
    out = srv.cli("export", "customers", "-", "--tenant", "demo", "--owner", "nobody")
    assert out.returncode == 2 and "no user" in out.stderr, out.stderr
    out = srv.cli("export", "customers", "-", "--tenant", "nope")
    assert out.returncode == 2 and "no tenant" in out.stderr, out.stderr
    out = srv.cli("export", "customers", str(tmp_path / "missing" / "x.csv"), "--tenant", "demo")
    assert out.returncode == 1 and "cannot write" in out.stderr, out.stderr
    assert not (tmp_path / "missing").exists()


def test_reimporting_skips_or_completes_the_cards_already_there(shared, tok):
    admin = tok("admin")
    tag, tag2 = T.uniq("re"), T.uniq("re2")
    a, b, shared_no = unique_mobile(), unique_mobile(), unique_mobile()
    first = (f"name,phone,email,tags\r\n"
             f"张三,{a},,{tag}\r\n"
             f"李四,{b},li@example.cn,{tag}\r\n")
    body = T.expect(shared.api("POST", "/api/v1/customers/import", token=admin,
                               data=first.encode(), headers={"Content-Type": "text/csv"}), 200)
    assert (body["imported"], body["updated"], body["skipped"]) == (2, 0, 0), body
    # Two cards share a number: neither skip nor update can tell which is meant.
    T.create_customer(shared, admin, name="同号甲", phone=shared_no)
    T.create_customer(shared, admin, name="同号乙", phone=shared_no)
    again = (f"name,phone,email,company,tags\r\n"
             f",+86 {a},zhang@example.cn,张记,{tag2}\r\n"
             f"李四,0{b},,,\r\n"
             f"王五,{unique_mobile()},,,{tag}\r\n"
             f"同号,{shared_no},,,\r\n")

    def customers(t):
        items = T.expect(shared.api("GET", "/api/v1/customers", token=admin,
                                    query={"tag": t}), 200)["items"]
        return {c["name"]: c for c in items}

    st, _h, body = shared.api("POST", "/api/v1/customers/import", token=admin,
                              query={"on_duplicate": "skip"}, data=again.encode(),
                              headers={"Content-Type": "text/csv"})
    assert st == 200, body
    assert (body["imported"], body["skipped"], body["rejected"]) == (1, 2, 1), body
    assert body["problems"][0]["line"] == 5 and body["problems"][0]["field"] == "phone", body
    assert sorted(customers(tag)) == ["张三", "李四", "王五"]
    assert customers(tag)["张三"]["email"] is None
    # Update: the cells given complete the card, the name stays, tags are added.
    body = T.expect(shared.api("POST", "/api/v1/customers/import", token=admin,
                               query={"on_duplicate": "update"}, data=again.encode(),
                               headers={"Content-Type": "text/csv"}), 200)
    assert (body["imported"], body["updated"], body["rejected"]) == (0, 3, 1), body
    zhang = customers(tag)["张三"]
    assert zhang["email"] == "zhang@example.cn" and zhang["company"] == "张记", zhang
    assert sorted(zhang["tags"]) == sorted([tag, tag2]), zhang
    assert [p["e164"] for p in zhang["phones"]] == ["+86" + a], zhang
    assert customers(tag)["李四"]["email"] == "li@example.cn"
    assert len([c for c in customers(tag) if c == "王五"]) == 1
    T.assert_error(shared.api("POST", "/api/v1/customers/import", token=admin,
                              query={"on_duplicate": "merge"}, data=again.encode(),
                              headers={"Content-Type": "text/csv"}), 400, field="on_duplicate")


def test_duplicates_are_found_and_merged(shared, tok):
    admin = tok("admin")
    mobile = unique_mobile()
    tag = T.uniq("dup")
    a = T.create_customer(shared, admin, name="合并 Keep", phones=[mobile], tags=[tag],
                          custom_fields={"level": "gold"}, vip_level=1)
    b = T.create_customer(shared, admin, name="合并 Other", phones=["0" + mobile, "010-87654321"],
                          email=f"{tag}@example.cn", tags=["宽带"], address="北京",
                          custom_fields={"level": "silver", "since": 2019}, vip_level=4,
                          notes="second card")
    c = T.create_customer(shared, admin, name="合并 Third", email=f"{tag}@EXAMPLE.cn")
    dups = T.expect(shared.api("GET", f"/api/v1/customers/{b['id']}/duplicates", token=admin),
                    200)["items"]
    reasons = {d["customer"]["id"]: d["reasons"] for d in dups}
    assert reasons == {a["id"]: ["phone"], c["id"]: ["email"]}, reasons
    # A complaint filed against the card that goes away.
    w = T.expect(shared.api("POST", "/api/v1/work-orders", token=admin,
                            json={"subject": T.uniq("合并投诉 "), "customer_id": b["id"]}), 201)
    merged = T.expect(shared.api("POST", f"/api/v1/customers/{a['id']}/merge", token=admin,
                                 json={"from": b["id"]}), 200)
    assert [p["e164"] for p in merged["phones"]] == ["+86" + mobile, "+861087654321"], merged
    assert merged["tags"] == sorted([tag, "宽带"]) and merged["address"] == "北京", merged
    assert merged["custom_fields"] == {"level": "gold", "since": 2019}, merged
    assert merged["vip_level"] == 4 and merged["email"] == f"{tag}@example.cn", merged
    assert merged["notes"] == "second card", merged
    T.assert_error(shared.api("GET", f"/api/v1/customers/{b['id']}", token=admin), 404)
    got = T.expect(shared.api("GET", "/api/v1/customers/lookup", token=admin,
                              query={"number": "010-87654321"}), 200)
    assert [x["id"] for x in got["items"]] == [a["id"]], got
    # Its work order now belongs to the kept card, on the record, in its timeline.
    moved = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['id']}", token=admin), 200)
    assert moved["customer_id"] == a["id"] and moved["version"] == w["version"] + 1, moved
    hist = T.expect(shared.api("GET", f"/api/v1/work-orders/{w['id']}/history", token=admin),
                    200)["items"]
    assert hist[-1]["action"] == "customer_merged", hist
    assert hist[-1]["changes"] == {"customer_id": [b["id"], a["id"]]}, hist[-1]
    timeline = T.expect(shared.api("GET", f"/api/v1/customers/{a['id']}/timeline", token=admin),
                        200)["items"]
    assert [e["work_order_id"] for e in timeline if e["type"] == "work_order"] == [w["id"]]
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"entity_id": a["id"], "action": "merge"}), 200)["items"]
    assert audit and audit[0]["before"]["from"]["id"] == b["id"], audit
    # Refusals: into itself, an unknown id, agents.
    T.assert_error(shared.api("POST", f"/api/v1/customers/{a['id']}/merge", token=admin,
                              json={"from": a["id"]}), 422, field="from")
    T.assert_error(shared.api("POST", f"/api/v1/customers/{a['id']}/merge", token=admin,
                              json={"from": b["id"]}), 422, field="from")
    T.assert_error(shared.api("POST", f"/api/v1/customers/{a['id']}/merge", token=tok("agent"),
                              json={"from": c["id"]}), 403)


def test_timeline_of_a_customer_without_calls(shared, tok):
    admin = tok("admin")
    c = T.create_customer(shared, admin, name="时间线 Timeline", phone=unique_mobile())
    body = T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}/timeline", token=admin), 200)
    assert body == {"items": []}, body
    T.assert_error(shared.api("GET", "/api/v1/customers/999999999/timeline", token=admin), 404)
    audit = T.expect(shared.api("GET", "/api/v1/audit", token=admin,
                                query={"entity_id": c["id"], "action": "read_timeline"}),
                     200)["items"]
    assert len(audit) == 1, audit
