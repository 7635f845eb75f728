"""A real `omegi` server for the agents' tests (Python and Java), and small helpers around it."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def reachable(url) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


class Omegi:
    """A signed-in client of a running omegi, with one project, service and ingest token."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def api(self, method, path, **kw):
        r = self.http.request(method, f"{self.base}{path}", timeout=10, **kw)
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def errors(self, **params):
        return self.api("GET", "/api/errors", params={"limit": 500, **params})["errors"]

    def wait_error(self, exception_type: str, service: str, timeout=30.0):
        return wait_until(
            lambda: next((e for e in self.errors(service=service) if e["exception_type"] == exception_type), None),
            timeout=timeout,
            what=f"error {exception_type} in {service}",
        )

class App:
    """A running process: its base URL and what it printed so far."""

    def __init__(self, base: str, log: Path):
        self.base = base
        self._log = log

    def output(self) -> str:
        # Read through a handle of our own: seeking the one the process writes through would
        # move its write position too.
        return self._log.read_text(errors="replace")

    def get(self, path, **kw):
        return requests.get(f"{self.base}{path}", timeout=30, **kw)


@contextlib.contextmanager
def running(cmd, env, port, cwd=None, startup=120.0):
    """Runs `cmd` (an app answering /health on `port`) until the block ends, then stops it with
    SIGTERM; yields an App with its output so far."""
    log = Path(tempfile.mkstemp(prefix="omegi-test-app-", suffix=".log")[1])
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    app = App(f"http://127.0.0.1:{port}", log)
    try:
        wait_until(lambda: proc.poll() is not None or reachable(f"{app.base}/health"), timeout=startup, what=f"{cmd} to start")
        assert proc.poll() is None, app.output()
        yield app
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink()


@contextlib.contextmanager
def running_omegi(project="agent-shop", service="shop-web", kind="python", args=()):
    """Starts omegi (OMEGI_BIN, else target/debug/omegi) on free loopback ports with a fresh
    SQLite data directory, signs up, creates a project, a service and an ingest token."""
    binary = os.environ.get("OMEGI_BIN") or str(ROOT / "target" / "debug" / "omegi")
    assert Path(binary).exists(), f"build omegi first (cargo build), or set OMEGI_BIN: {binary}"
    data = tempfile.mkdtemp(prefix="omegi-agent-test-")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}", "--grpc-addr", "127.0.0.1:0", "--trace-settle", "300ms", *args],
        env={**os.environ, "OMEGI_LOG": "warn"},
    )
    try:
        server = Omegi(f"http://127.0.0.1:{port}")
        wait_until(lambda: reachable(f"{server.base}/readyz"), what="omegi to start")
        server.api("POST", "/api/auth/signup", json={"username": "agent-tester", "password": "agent-tester-pw"})
        server.project = server.api("POST", "/api/projects", json={"name": project})["id"]
        created = server.api("POST", f"/api/projects/{server.project}/services", json={"name": service, "kind": kind})
        server.token = server.api("POST", f"/api/projects/{server.project}/services/{created['id']}/tokens")["secret"]
        yield server
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(data, ignore_errors=True)
