"""IVR HTTP lookups against a real HTTP server: the answer routes the call,
and a failing system takes the node's on_error branch."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sipp
import tingtest as T
from test_calls import admin, wait_for


class Crm:
    """A customer system: GET /customer?number=N answers the level; a number
    ending in 0 gets HTTP 500."""

    def __init__(self):
        self.requests = []
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                crm.requests.append(self.path)
                if self.path.endswith("0"):
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps({"customer": {"level": "gold"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def caller_from(number):
    """A call whose From is `number` (the scenario builder uses 13800138000)."""
    return sipp.answered_call("4200", [sipp.recv_bye()]).replace("13800138000", number)


def ivr_nodes_of_call_from(srv, token, number):
    def ended():
        items = T.expect(srv.api("GET", f"/api/v1/calls?from={number}&limit=1", token=token),
                         200)["items"]
        return items[0] if items and items[0]["state"] == "ended" else None
    call = wait_for(ended, what=f"the call from {number}")
    detail = T.expect(srv.api("GET", f"/api/v1/calls/{call['id']}", token=token), 200)
    return [s["node"] for s in detail["ivr_path"]]


def test_lookup_answer_routes_the_call_and_errors_take_on_error(server_factory):
    crm = Crm()
    try:
        srv = server_factory(name="lookup")
        token = admin(srv)
        flow = {"start": "lookup", "nodes": {
            "lookup": {"type": "http",
                       "url": f"http://127.0.0.1:{crm.port}/customer?number=${{caller}}",
                       "timeout_ms": 2000, "results": {"level": "/customer/level"},
                       "next": "route", "on_error": "failed"},
            "route": {"type": "condition", "rules": [
                {"variable": "level", "op": "eq", "value": "gold", "next": "vip"}],
                "else": "regular"},
            "vip": {"type": "hangup"},
            "regular": {"type": "hangup"},
            "failed": {"type": "hangup"}}}
        T.expect(srv.api("POST", "/api/v1/ivr/flows", token=token,
                         json={"name": "lookup", "document": flow}), 201)
        st, _h, body = srv.api("PUT", "/api/v1/dids/4200", token=token, json={"flow": "lookup"})
        assert st in (200, 201), body

        r = sipp.run(caller_from("13800138001"), srv.sip_port, service="4200")
        assert r.code == 0, r
        assert ivr_nodes_of_call_from(srv, token, "13800138001") == ["lookup", "route", "vip"]
        assert crm.requests[-1] == "/customer?number=13800138001"

        r = sipp.run(caller_from("13800138000"), srv.sip_port, service="4200")
        assert r.code == 0, r
        assert ivr_nodes_of_call_from(srv, token, "13800138000") == ["lookup", "failed"]
    finally:
        crm.close()
