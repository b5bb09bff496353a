"""Outgoing webhooks against a real HTTP receiver: work-order events arrive as
signed JSON POSTs (HMAC-SHA256 over timestamp.body with the webhook's secret),
a receiver that fails is retried with backoff until it answers 2xx, and only
the selected events of the webhook's own tenant are sent."""

import hashlib
import hmac
import http.server
import json
import threading

import tingtest as T


class Receiver:
    """A local HTTP server recording POSTs; answers the statuses queued in `fail_first`."""

    def __init__(self, fail_first=0):
        self.requests = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.requests.append((dict(self.headers), body))
                    failing = outer.fail_first > 0
                    if failing:
                        outer.fail_first -= 1
                self.send_response(503 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/ting"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        with self.lock:
            return [(h, json.loads(b)) for h, b in self.requests]

    def close(self):
        self.server.shutdown()


def verify(secret, headers, raw):
    mac = hmac.new(secret.encode(), headers["X-Ting-Timestamp"].encode() + b"." + raw,
                   hashlib.sha256).hexdigest()
    return headers["X-Ting-Signature"] == "sha256=" + mac


def test_signed_events_with_retry(server_factory):
    srv = server_factory(name="webhooks", env={"TING_WEBHOOKS_RETRY_BASE": "1"})
    admin = srv.role_token("admin")
    agent = srv.role_token("agent")
    receiver = Receiver(fail_first=2)
    try:
        hook = T.expect(srv.api("POST", "/api/v1/webhooks", token=admin,
                                json={"url": receiver.url,
                                      "events": ["work_order.created", "approval.*"]}), 201)
        secret = hook["secret"]
        assert secret.startswith("whsec_"), hook
        listed = T.expect(srv.api("GET", "/api/v1/webhooks", token=admin), 200)["items"]
        assert "secret" not in listed[0], listed
        T.assert_error(srv.api("POST", "/api/v1/webhooks", token=admin,
                               json={"url": "ftp://example.org/x"}), 422, field="url")
        T.assert_error(srv.api("POST", "/api/v1/webhooks", token=agent,
                               json={"url": receiver.url}), 403)
        w = T.expect(srv.api("POST", "/api/v1/work-orders", token=agent,
                             json={"subject": "webhook test"}), 201)
        # Not selected: accept is neither work_order.created nor approval.*.
        T.expect(srv.api("POST", f"/api/v1/work-orders/{w['id']}/actions", token=agent,
                         json={"action": "accept",
                               "promised_reply_at": "2030-01-01T00:00:00Z"}), 200)
        # The receiver fails twice (503), then takes it: three POSTs of one delivery.
        T.poll(lambda: len(receiver.events()) >= 3, 30, interval=0.1,
               what="the delivery retried until accepted")
        got = receiver.events()
        ids = {h["X-Ting-Delivery"] for h, _ in got}
        assert len(ids) == 1, got
        headers, payload = got[-1]
        assert headers["X-Ting-Event"] == "work_order.created"
        assert payload["event"] == "work_order.created"
        assert payload["data"]["reference"] == w["reference"], payload
        raw = receiver.requests[-1][1]
        assert verify(secret, headers, raw), headers
        assert not verify("whsec_wrong", headers, raw)
        deliveries = T.poll(
            lambda: [d for d in T.expect(srv.api("GET", f"/api/v1/webhooks/{hook['id']}"
                                                 "/deliveries", token=admin), 200)["items"]
                     if d["status"] == "delivered"], 10, what="the delivery marked delivered")
        assert deliveries[0]["attempts"] == 3 and deliveries[0]["last_status"] == 204, deliveries
        assert all(e["event"] == "work_order.created" for _, e in receiver.events())
    finally:
        receiver.close()
