"""Fixtures for the telephony suite: a real `ting serve` with SIP and RTP on
loopback, driven by SIPp and baresip.

Run: /usr/bin/python3 -m pytest tests/telephony"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
import tingtest as T  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(T.LIVE_SERVERS):
            rep.sections.append((f"ting log: {srv.name} ({srv.log_path})", srv.log_tail(200)))


@pytest.fixture(scope="session")
def workroot():
    d = tempfile.mkdtemp(prefix="ting-tel-")
    yield d
    if os.environ.get("TING_TEST_KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


def _make(workroot, name, env=None, args=None):
    workdir = tempfile.mkdtemp(prefix=name + "-", dir=workroot)
    srv = T.Server(workdir, name=name, env=env, args=args)
    return srv


def _finish(srv):
    srv.close()
    reports = srv.sanitizer_reports()
    assert not reports, f"{srv.name}: sanitizer reports {reports}:\n" + srv.log_tail(300)


@pytest.fixture(scope="session")
def pbx(workroot):
    """The server most telephony tests share: demo tenant, DID 4000."""
    srv = _make(workroot, "pbx")
    srv.start()
    yield srv
    _finish(srv)


@pytest.fixture
def server_factory(workroot):
    made = []

    def make(env=None, args=None, name="fn"):
        srv = _make(workroot, name, env=env, args=args)
        made.append(srv)
        srv.start()
        return srv
    yield make
    for srv in made:
        _finish(srv)


@pytest.fixture
def phones(workroot):
    """Makes baresip phones; stops (and so unregisters) every one at teardown."""
    import baresip
    made = []

    def make(server, user, password, **kw):
        phone = baresip.Baresip(workroot, server.sip_port, user, password, **kw)
        made.append(phone)
        return phone
    yield make
    for phone in made:
        phone.stop()
