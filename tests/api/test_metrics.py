"""/metrics (Prometheus text) and /healthz."""

import re

import tingtest as T

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Returns (types {family: type}, samples [(name, {labels}, value)])."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(None, 3)
            types[name] = typ.strip()
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return types, samples


def values(samples, name, **labels):
    return [v for n, lab, v in samples
            if n == name and all(lab.get(k) == w for k, w in labels.items())]


def test_healthz(api):
    st, h, body = api("GET", "/healthz")
    assert st == 200 and body == {"status": "ok"}


def test_metrics_is_prometheus_text(shared):
    st, h, body = shared.api("GET", "/metrics", headers={"Accept": "text/plain"})
    assert st == 200
    assert h.get("Content-Type", "").startswith("text/plain"), h.get("Content-Type")
    types, samples = parse(body)
    assert types and samples
    for name, _labels, _v in samples:
        fam = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or fam in types, f"{name} has no TYPE line"


def test_request_counters_per_route_template(shared, tok):
    c = T.create_customer(shared, tok("admin"))
    for _ in range(3):
        T.expect(shared.api("GET", f"/api/v1/customers/{c['id']}", token=tok("agent")), 200)
    shared.api("GET", "/api/v1/nope")
    types, samples = parse(shared.metrics())
    counters = [(n, lab, v) for n, lab, v in samples if types.get(n) == "counter"
                and "request" in n]
    assert counters, "no request counter"
    routes = {lab.get("route") for _n, lab, _v in counters}
    assert "/api/v1/customers/{id}" in routes, routes
    assert "/api/v1/customers" in routes, routes
    # Raw paths with ids never become label values (unbounded cardinality).
    for r in routes:
        assert not re.search(r"/\d+(/|$)", r or ""), r
        assert r != "/api/v1/nope", "unknown paths must share one label value"
    got = sum(v for _n, lab, v in counters if lab.get("route") == "/api/v1/customers/{id}"
              and lab.get("method", "GET") == "GET")
    assert got >= 3, counters


def test_latency_histograms_per_route(shared, tok):
    T.expect(shared.api("GET", "/api/v1/me", token=tok("agent")), 200)
    types, samples = parse(shared.metrics())
    hists = [n for n, t in types.items() if t == "histogram"
             and ("duration" in n or "latency" in n or "seconds" in n) and "http" in n]
    assert hists, f"no HTTP latency histogram in {sorted(types)}"
    name = hists[0]
    buckets = [(lab, v) for n, lab, v in samples if n == name + "_bucket"
               and lab.get("route") == "/api/v1/me"]
    assert buckets, f"no {name} buckets for /api/v1/me"
    inf = [v for lab, v in buckets if lab.get("le") == "+Inf"]
    count = values(samples, name + "_count", route="/api/v1/me")
    assert inf and count and sum(inf) == sum(count) >= 1
    # Buckets are cumulative.
    by_labels = {}
    for lab, v in buckets:
        key = tuple(sorted((k, x) for k, x in lab.items() if k != "le"))
        by_labels.setdefault(key, []).append((float(lab["le"]), v))
    for series in by_labels.values():
        series.sort()
        counts = [v for _le, v in series]
        assert counts == sorted(counts), series


def test_db_timing(shared, tok):
    T.create_customer(shared, tok("admin"))
    types, samples = parse(shared.metrics())
    db = [n for n, t in types.items() if t in ("histogram", "summary")
          and ("db" in n or "store" in n or "sql" in n)]
    assert db, f"no database timing in {sorted(types)}"
    assert any(values(samples, n + "_count") and sum(values(samples, n + "_count")) > 0
               for n in db), db


def test_process_stats(shared):
    types, samples = parse(shared.metrics())
    rss = values(samples, "process_resident_memory_bytes")
    assert rss and rss[0] > 1 << 20, rss
    for name in ["process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"]:
        assert values(samples, name), f"{name} missing"


def ws_gauge(shared):
    types, samples = parse(shared.metrics())
    names = [n for n, t in types.items() if t == "gauge"
             and ("websocket" in n or "_ws_" in n or n.endswith("_ws"))]
    assert names, f"no WebSocket client gauge in {sorted(types)}"
    return sum(values(samples, names[0]))


def test_websocket_client_gauge(shared, tok):
    base = ws_gauge(shared)
    conns = [shared.ws_connect(tok("agent"))[0] for _ in range(3)]
    try:
        T.poll(lambda: ws_gauge(shared) >= base + 3, 10, what="gauge to count 3 clients")
    finally:
        for ws in conns:
            ws.close()
    T.poll(lambda: ws_gauge(shared) <= base, 10, what="gauge to drop after close")


def test_metrics_and_healthz_need_no_token_and_ignore_bad_ones(api):
    st, _h, _b = api("GET", "/metrics", headers={"Authorization": "Bearer garbage"})
    assert st == 200
    st, _h, _b = api("GET", "/healthz", headers={"Authorization": "Bearer garbage"})
    assert st == 200
