"""A real `omegi` server for the agent's tests, and helpers to run apps under `omegi-run`."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent
APPS = HERE / "apps"
ROOT = HERE.parents[2]


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


class Omegi:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def api(self, method, path, **kw):
        r = self.http.request(method, f"{self.base}{path}", timeout=10, **kw)
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def errors(self, **params):
        return self.api("GET", "/api/errors", params={"limit": 500, **params})["errors"]

    def wait_error(self, exception_type: str, service: str):
        return wait_until(
            lambda: next((e for e in self.errors(service=service) if e["exception_type"] == exception_type), None),
            what=f"error {exception_type} in {service}",
        )


@pytest.fixture(scope="session")
def omegi():
    binary = os.environ.get("OMEGI_BIN") or str(ROOT / "target" / "debug" / "omegi")
    assert Path(binary).exists(), f"build omegi first (cargo build), or set OMEGI_BIN: {binary}"
    data = tempfile.mkdtemp(prefix="omegi-agent-test-")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}", "--grpc-addr", "127.0.0.1:0", "--trace-settle", "300ms"],
        env={**os.environ, "OMEGI_LOG": "warn"},
    )
    server = Omegi(f"http://127.0.0.1:{port}")
    wait_until(lambda: _ok(f"{server.base}/readyz"), what="omegi to start")
    server.api("POST", "/api/auth/signup", json={"username": "agent-tester", "password": "agent-tester-pw"})
    server.project = server.api("POST", "/api/projects", json={"name": "python-shop"})["id"]
    service = server.api("POST", f"/api/projects/{server.project}/services", json={"name": "shop-web", "kind": "python"})
    server.token = server.api("POST", f"/api/projects/{server.project}/services/{service['id']}/tokens")["secret"]
    yield server
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(data, ignore_errors=True)


def _ok(url):
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def agent_env(omegi=None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMEGI_", "OTEL_"))}
    env.update(
        PYTHONPATH=str(APPS),
        OMEGI_TRACE_PACKAGES="shop,fastshop",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    if omegi is not None:
        env.update(OMEGI_ENDPOINT=omegi.base, OMEGI_TOKEN=omegi.token)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def omegi_run() -> str:
    return str(Path(sys.executable).parent / "omegi-run")


@contextlib.contextmanager
def running(args, env, port):
    """Runs `omegi-run ARGS` until the block ends, then stops it with SIGINT (so the agent
    flushes its spans at exit). Yields the app's base URL and a function returning stderr."""
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([omegi_run(), *args], env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=APPS)
    base = f"http://127.0.0.1:{port}"

    def stderr():
        log.seek(0)
        return log.read()

    try:
        wait_until(lambda: proc.poll() is not None or _ok(f"{base}/health"), what=f"{args} to start")
        assert proc.poll() is None, stderr()
        yield base, stderr
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
