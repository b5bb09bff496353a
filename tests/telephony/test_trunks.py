"""Calls Ting places through a provider's trunk: SIPp plays the provider,
challenges Ting with digest authentication and checks its credentials and
caller ID."""

import socket
import threading

import sipp
import tingtest as T
from test_calls import admin, latest_call, wait_for

USERNAME = "ting-trunk"
SECRET = "Trunk-secret-42"
CALLER_ID = "075512345678"


def port_taken(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def setup_outbound(srv, token, provider_port, secret=SECRET, caller_id="trunk"):
    T.expect(srv.api("POST", "/api/v1/trunks", token=token, json={
        "name": "provider", "outbound_uri": f"sip:127.0.0.1:{provider_port}",
        "username": USERNAME, "secret": secret, "caller_id": CALLER_ID}), 201)
    flow = {"start": "out", "nodes": {
        "out": {"type": "transfer", "number": "95588", "caller_id": caller_id,
                "fallback": "bye"},
        "bye": {"type": "hangup"}}}
    T.expect(srv.api("POST", "/api/v1/ivr/flows", token=token,
                     json={"name": "outbound", "document": flow}), 201)
    st, _h, body = srv.api("PUT", "/api/v1/dids/4100", token=token, json={"flow": "outbound"})
    assert st in (200, 201), body


def run_provider(srv, port, xml, results):
    results["provider"] = sipp.run(xml, srv.sip_port, service="95588", local_port=port,
                                   timeout_s=30, extra=("-trace_msg",))


def start_provider(srv, port, xml):
    results = {}
    t = threading.Thread(target=run_provider, args=(srv, port, xml, results))
    t.start()
    wait_for(lambda: port_taken(port), what="the provider listening")
    return t, results


def test_transfer_to_an_outside_number_goes_through_the_trunk(server_factory):
    srv = server_factory(name="trunk")
    token = admin(srv)
    port = sipp.free_port()
    setup_outbound(srv, token, port)
    provider, results = start_provider(
        srv, port, sipp.provider(USERNAME, SECRET, from_regexp=f"sip:{CALLER_ID}@"))
    caller = sipp.run(sipp.answered_call("4100", [sipp.audio(), sipp.pause(4000), sipp.bye()]),
                      srv.sip_port, service="4100")
    provider.join()
    assert caller.code == 0, caller
    assert results["provider"].code == 0, results["provider"]
    assert "from matched" in results["provider"].log
    call = latest_call(srv, token)
    assert call["transfer_target"] == "95588"
    assert call["end_cause"] == "caller_hangup"
    detail = T.expect(srv.api("GET", f"/api/v1/calls/{call['id']}", token=token), 200)
    assert [step["node"] for step in detail["ivr_path"]] == ["out"]


def test_a_provider_refusing_the_credentials_sends_the_call_to_the_fallback(server_factory):
    srv = server_factory(name="trunk-bad")
    token = admin(srv)
    port = sipp.free_port()
    setup_outbound(srv, token, port, secret="not-the-secret")
    provider, results = start_provider(srv, port, sipp.provider(USERNAME, SECRET))
    caller = sipp.run(sipp.answered_call("4100", [sipp.recv_bye()]), srv.sip_port,
                      service="4100")
    provider.join()
    assert caller.code == 0, caller  # Ting hung up: the fallback
    assert results["provider"].code != 0  # it answered 403 and never saw a good INVITE
    call = latest_call(srv, token)
    assert call["end_cause"] == "ivr_hangup"
    detail = T.expect(srv.api("GET", f"/api/v1/calls/{call['id']}", token=token), 200)
    assert [step["node"] for step in detail["ivr_path"]] == ["out", "bye"]
