"""Fixtures for the HTTP/WebSocket integration suite.

Run: /usr/bin/python3 -m pytest tests/api            (SQLite)
     TING_TEST_BACKEND=postgres /usr/bin/python3 -m pytest tests/api
"""

import os
import shutil
import tempfile

import pytest

import tingtest as T


def pytest_report_header(config):
    return f"ting: {T.TING_BIN}  backend: {T.BACKEND}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(T.LIVE_SERVERS):
            rep.sections.append((f"ting log: {srv.name} ({srv.log_path})", srv.log_tail()))


@pytest.fixture(scope="session", autouse=True)
def _binary():
    if not os.access(T.TING_BIN, os.X_OK):
        pytest.exit(f"ting binary not found at {T.TING_BIN} (build it or set TING_BIN)",
                    returncode=2)


@pytest.fixture(scope="session")
def pg():
    if T.BACKEND != "postgres":
        yield None
        return
    cluster = T.PgCluster()
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def workroot():
    d = tempfile.mkdtemp(prefix="ting-api-")
    yield d
    if os.environ.get("TING_TEST_KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


def _new_server(workroot, pg, name, **kw):
    workdir = tempfile.mkdtemp(prefix=name + "-", dir=workroot)
    db_url = pg.create_db() if pg else None
    return T.Server(workdir, db_url=db_url, name=name, **kw)


def _finish(srv):
    srv.close()
    reports = srv.sanitizer_reports()
    assert not reports, f"{srv.name}: sanitizer reports {reports} in {srv.log_path}:\n" \
        + srv.log_tail(300)


@pytest.fixture(scope="session")
def shared(workroot, pg):
    """The server most tests share: demo tenant, plus operator `op` in tenant system."""
    srv = _new_server(workroot, pg, "shared")
    srv.cli("migrate", check=True)
    srv.create_operator()
    srv.start()
    yield srv
    _finish(srv)


@pytest.fixture
def server_factory(workroot, pg):
    """Function-scoped servers for destructive tests: make(env=..., args=..., ...)."""
    made = []

    def make(start=True, **kw):
        srv = _new_server(workroot, pg, kw.pop("name", "fn"), **kw)
        made.append(srv)
        if start:
            srv.start()
        return srv
    yield make
    errors = []
    for srv in made:
        try:
            _finish(srv)
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture(scope="session")
def api(shared):
    """api(method, path, token=None, json=None, headers=None) -> (status, headers, body)."""
    return shared.api


@pytest.fixture(scope="session")
def tok(shared):
    """tok(role) -> a cached token of that role's demo user (or the operator)."""
    return shared.role_token


@pytest.fixture(scope="session")
def demo_ids(shared):
    """Ids the tests need in the demo tenant."""
    admin = shared.role_token("admin")
    me = T.expect(shared.api("GET", "/api/v1/me", token=admin), 200)
    users = {u["username"]: u for u in T.list_all(shared, admin, "/api/v1/users")}
    return {"tenant_id": me["tenant"]["id"], "admin_id": me["user"]["id"], "users": users}


@pytest.fixture(scope="session")
def acme(shared):
    """A second tenant created by the operator, with its own admin, agent and customer."""
    op = shared.role_token("operator")
    st, _h, body = shared.api("POST", "/api/v1/tenants", token=op,
                              json={"slug": "acme", "name": "Acme Corp",
                                    "admin_username": "boss",
                                    "admin_password": T.OTHER_PASSWORD})
    assert st == 201, f"create tenant acme -> {st}: {body!r}"
    admin = shared.login("acme", "boss", T.OTHER_PASSWORD)
    me = T.expect(shared.api("GET", "/api/v1/me", token=admin), 200)
    customer = T.create_customer(shared, admin, name="Acme Secret Customer",
                                 phone="13700002222", email="secret@acme.example",
                                 company="Acme")
    agent = T.create_user(shared, admin, "agent", username="acme_agent")
    return {"tenant": body, "tenant_id": me["tenant"]["id"], "admin_token": admin,
            "admin_id": me["user"]["id"], "customer": customer, "agent": agent}
