"""Builds SIPp scenarios for the telephony suite and runs them.

A scenario is a list of steps after the call is set up; `run_call` writes the
XML, runs `sipp` against the server and returns the SIPp exit code and
output. Audio comes from SIPp's own captures: g711a.pcap (speech, PCMA) and
dtmf_2833_<digit>.pcap (RFC 4733 events)."""

import os
import socket
import subprocess
import tempfile
from pathlib import Path

SIPP = "/usr/bin/sipp"
PCAPS = Path("/usr/share/sip-tester")

SDP = """v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP {payloads}
{rtpmaps}a={direction}
"""

DEFAULT_RTPMAPS = "a=rtpmap:8 PCMA/8000\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"


def sdp(payloads="8 0 101", rtpmaps=DEFAULT_RTPMAPS, direction="sendrecv"):
    return SDP.format(payloads=payloads, rtpmaps=rtpmaps, direction=direction)


def request(method, cseq, user="[service]", body=None, in_dialog=True, retrans=True,
            branch="[branch]"):
    """One <send> of a request from the caller: in-dialog requests carry
    Ting's To tag; a body is sent as SDP. CANCEL, and the ACK of a failure,
    reuse the INVITE's branch: `[branch-N]`, N scenario messages back."""
    to_tag = "[peer_tag_param]" if in_dialog else ""
    length = "[len]" if body is not None else "0"
    ctype = "      Content-Type: application/sdp\n" if body is not None else ""
    attr = ' retrans="500"' if retrans else ""
    return f"""  <send{attr}>
    <![CDATA[
      {method} sip:{user}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch={branch}
      From: "Caller" <sip:13800138000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@[remote_ip]:[remote_port]>{to_tag}
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: <sip:13800138000@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
{ctype}      Content-Length: {length}

{body or ""}
    ]]>
  </send>
"""


def invite(number, body):
    return request("INVITE", 1, number, body, in_dialog=False)


def ack(cseq=1):
    return request("ACK", cseq, retrans=False)


def answered_call(number, steps, offer=None):
    """INVITE, ringing, 200, ACK, then `steps`, then BYE (unless steps end the call)."""
    body = offer or sdp()
    xml = ['<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="ting">',
           invite(number, body),
           '  <recv response="100" optional="true"/>',
           '  <recv response="180" optional="true"/>',
           '  <recv response="183" optional="true"/>',
           '  <recv response="200" rtd="true" rrs="true"/>',
           ack()]
    xml += steps
    xml += ['  <ResponseTimeRepartition value="10, 20, 30, 40, 50, 100, 150, 200"/>',
            '</scenario>']
    return "\n".join(xml)


def pause(ms):
    return f'  <pause milliseconds="{ms}"/>'


def audio():
    return f'  <nop><action><exec play_pcap_audio="{PCAPS / "g711a.pcap"}"/></action></nop>'


def digit(d, wait=True):
    """A key as RFC 4733 events. Each capture is about 0.2 s: `wait` lets it
    finish before the next step; the last key before recv_bye() must not
    wait, or Ting's BYE arrives during the pause."""
    name = {"*": "star", "#": "pound"}.get(d, d)
    return (f'  <nop><action><exec play_pcap_audio="{PCAPS / f"dtmf_2833_{name}.pcap"}"/>'
            f'</action></nop>\n' + (pause(400) if wait else ""))


def bye(expect_status="200", cseq=2):
    return request("BYE", cseq) + f'  <recv response="{expect_status}" crlf="true"/>'


def recv_bye():
    """Ting hangs up: take its BYE and answer 200."""
    return """  <recv request="BYE" timeout="30000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""


def reinvite(cseq, direction):
    return (request("INVITE", cseq, body=sdp(direction=direction)) + """  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="a=(sendrecv|sendonly|recvonly|inactive)" search_in="body" check_it="true" assign_to="dir,d"/></action>
  </recv>
""" + ack(cseq) + f'  <nop><action><log message="reinvite {direction} answered [$d]"/></action></nop>')


def rejected_call(number, status, offer=None, header_regexp=None):
    """An INVITE Ting must refuse with `status`; `header_regexp` must match the
    response (SIPp fails the call otherwise)."""
    body = offer or sdp()
    check = ""
    if header_regexp:
        check = (f'<action><ereg regexp="{header_regexp}" search_in="msg" check_it="true" '
                 f'assign_to="hdr"/><log message="matched [$hdr]"/></action>')
    return "\n".join([
        '<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="ting-reject">',
        invite(number, body),
        '  <recv response="100" optional="true"/>',
        '  <recv response="180" optional="true"/>',
        f'  <recv response="{status}">{check}</recv>',
        ack(),
        '</scenario>'])


def cancelled_call(number):
    """INVITE, wait for 180, CANCEL: Ting answers the CANCEL 200 and the
    INVITE 487, which the caller ACKs."""
    return "\n".join([
        '<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="ting-cancel">',
        invite(number, sdp()),                                   # message 0
        '  <recv response="100" optional="true"/>',              # 1
        '  <recv response="180"/>',                              # 2
        request("CANCEL", 1, number, in_dialog=False, branch="[branch-3]"),  # 3
        '  <recv response="200"/>',                              # 4
        '  <recv response="487"/>',                              # 5
        request("ACK", 1, number, retrans=False, branch="[branch-6]"),  # 6
        '</scenario>'])


def provider(username, password, realm="provider.test", from_regexp=None, refuse=None):
    """A provider's SIP trunk (SIPp as UAS): challenges the INVITE with 401
    (SIPp's verifyauth reads only the Authorization header),
    fails (403) unless the retry proves `username`/`password`, answers, and
    waits for Ting's BYE. `from_regexp` must match the authenticated INVITE.
    `refuse`, e.g. (486, "Busy Here"): the called party refuses instead."""
    check = ""
    if from_regexp:
        check = (f'<ereg regexp="{from_regexp}" search_in="hdr" header="From:" check_it="true" '
                 f'assign_to="from_ok"/><log message="from matched [$from_ok]"/>')
    tag = "[pid]SIPpTag01[call_number]"

    def response(status, reason, extra="", body=None, to_tag=True):
        ctype = "      Content-Type: application/sdp\n" if body else ""
        return f"""  <send>
    <![CDATA[
      SIP/2.0 {status} {reason}
      [last_Via:]
      [last_From:]
      [last_To:]{";tag=" + tag if to_tag else ""}
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
{extra}{ctype}      Content-Length: {"[len]" if body else "0"}

{body or ""}
    ]]>
  </send>
"""
    return "\n".join([
        '<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="ting-provider">',
        '  <recv request="INVITE"/>',
        response(401, "Unauthorized",
                 f'      WWW-Authenticate: Digest realm="{realm}", nonce="ting-test-nonce", '
                 'algorithm=MD5\n'),
        '  <recv request="ACK"/>',
        f'  <recv request="INVITE"><action><verifyauth assign_to="auth_ok" username="{username}" '
        f'password="{password}"/>{check}</action></recv>',
        '  <nop hide="true" test="auth_ok" next="authorized"/>',
        response(403, "Forbidden"),
        '  <recv request="ACK"/>',
        '  <recv request="NEVER" timeout="1000"/>',  # the call fails here
        '  <label id="authorized"/>',
        *([response(refuse[0], refuse[1]), '  <recv request="ACK"/>', '</scenario>']
          if refuse else []),
        response(180, "Ringing"),
        response(200, "OK", body=sdp("8 101", "a=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\n")),
        '  <recv request="ACK"/>',
        '  <nop><action><exec play_pcap_audio="' + str(PCAPS / "g711a.pcap") + '"/></action></nop>',
        '  <recv request="BYE"/>',
        response(200, "OK", to_tag=False),
        '</scenario>']).split("</scenario>")[0] + "</scenario>"


def free_port(kind="udp", even=False):
    for _ in range(100):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if not even or (port % 2 == 0 and port < 65000):
            return port
    raise RuntimeError("no free port")


class SippResult:
    def __init__(self, code, out, log):
        self.code, self.out, self.log = code, out, log

    def __repr__(self):
        return f"sipp exit {self.code}\n{self.out[-3000:]}\nlog:\n{self.log[-3000:]}"


def run(xml, server_sip_port, service="4000", transport="u1", calls=1, rate=None, limit=None,
        timeout_s=60, extra=(), local_port=None):
    work = Path(tempfile.mkdtemp(prefix="sipp-"))
    scenario = work / "scenario.xml"
    scenario.write_text(xml)
    log = work / "messages.log"
    cmd = [SIPP, f"127.0.0.1:{server_sip_port}", "-sf", str(scenario), "-s", service,
           "-m", str(calls), "-i", "127.0.0.1", "-p", str(local_port or free_port("udp")),
           "-mp", str(free_port("udp", even=True)), "-t", transport, "-nostdin", "-timeout", f"{timeout_s}s", "-timeout_error",
           "-trace_logs", "-log_file", str(log), "-trace_err",
           "-error_file", str(work / "errors.log")]
    if rate:
        cmd += ["-r", str(rate)]
    if limit:
        cmd += ["-l", str(limit)]
    cmd += list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s + 30, cwd=work)
    text = ""
    for f in (log, work / "errors.log"):
        if f.exists():
            text += f.read_text(errors="replace")
    return SippResult(p.returncode, p.stdout + p.stderr, text)
