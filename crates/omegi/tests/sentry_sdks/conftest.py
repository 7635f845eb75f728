"""Sentry SDKs from the registries (Python `sentry-sdk`, Node `@sentry/node`, Java
`io.sentry:sentry`) sending to a real omegi with a DSN from its API, nothing else changed."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent
APPS = HERE / "apps"
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "agents" / "testkit"))

from omegi_testkit import free_port, reachable, running_omegi, wait_until  # noqa: E402


@pytest.fixture(scope="session")
def omegi():
    with running_omegi(project="sentry-shop", service="shop-sentry", kind="python") as server:
        server.service_id = server.api("GET", f"/api/projects/{server.project}/services")[0]["id"]
        yield server


def new_service(omegi, name, kind):
    """A service of the project and its DSN, as Settings creates them."""
    created = omegi.api("POST", f"/api/projects/{omegi.project}/services", json={"name": name, "kind": kind})
    return omegi.api("POST", f"/api/projects/{omegi.project}/services/{created['id']}/sentry-keys")["dsn"]


def error_of(omegi, service, exception_type, count=1, timeout=30.0):
    """The error of `exception_type` in `service` once it has `count` occurrences, with its
    latest occurrence."""

    def ready():
        found = [e for e in omegi.errors(service=service) if e["exception_type"] == exception_type]
        return found if found and found[0]["occurrence_count"] >= count else None

    found = wait_until(ready, timeout=timeout, what=f"{count} x {exception_type} in {service}")
    assert len(found) == 1, found
    return omegi.api("GET", f"/api/errors/{found[0]['id']}")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMEGI_", "OTEL_", "SENTRY_"))}
    env["OTEL_BSP_SCHEDULE_DELAY"] = "100"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


class App:
    def __init__(self, base, log):
        self.base = base
        self.log = log

    def get(self, path):
        return requests.get(f"{self.base}{path}", timeout=30)

    def output(self):
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def running(cmd, env, port):
    log = Path(tempfile.mkstemp(prefix="omegi-sentry-test-", suffix=".log")[1])
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=APPS)
    app = App(f"http://127.0.0.1:{port}", log)
    try:
        wait_until(lambda: proc.poll() is not None or reachable(f"{app.base}/health"), timeout=30, what=f"{cmd} to start")
        assert proc.poll() is None, app.output()
        yield app
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink()


def sentry_shop(dsn, tracing=False, downstream=None):
    port = free_port()
    env = clean_env(PYTHONPATH=str(APPS), SENTRY_DSN=dsn, TRACING="1" if tracing else "0", DOWNSTREAM_URL=downstream)
    return running([sys.executable, "-m", "sentry_shop", str(port)], env, port)


def payments_under_agent(omegi, service):
    port = free_port()
    env = clean_env(
        PYTHONPATH=str(APPS),
        OMEGI_SERVICE_NAME=service,
        OMEGI_TRACE_PACKAGES="payments",
        OMEGI_ENDPOINT=omegi.base,
        OMEGI_TOKEN=omegi.token,
    )
    omegi_run = str(Path(sys.executable).parent / "omegi-run")
    return running([omegi_run, sys.executable, "-m", "payments", str(port)], env, port)
