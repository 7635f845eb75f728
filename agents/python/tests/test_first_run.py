"""What a new user meets first: installing the agent with the pip Python ships, and the lines
the agent prints about itself (start-up, a refused token, an outage and its end)."""

import socket
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

import requests

from conftest import agent_env, free_port, running, wait_until

AGENT = Path(__file__).parents[1]


def test_the_readme_install_line_works_in_a_fresh_venv_with_the_bundled_pip(tmp_path):
    # `python -m venv` installs the pip bundled with this Python (23.x for 3.11), not the newest.
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    pip = subprocess.run([bin_dir / "pip", "--version"], capture_output=True, text=True, check=True).stdout
    bundled = subprocess.run([sys.executable, "-c", "import ensurepip; print(ensurepip.version())"], capture_output=True, text=True, check=True).stdout.strip()
    assert pip.startswith(f"pip {bundled} "), pip
    done = subprocess.run([bin_dir / "pip", "install", "--disable-pip-version-check", "-q", f"{AGENT}[flask,requests]", "flask", "httpx"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    license = subprocess.run([bin_dir / "python", "-c", "import importlib.metadata as m; print(m.metadata('omegi-agent')['License-Expression'])"], capture_output=True, text=True, check=True)
    assert license.stdout.strip() == "Apache-2.0"

    # The application's Flask is instrumented; httpx, installed without the agent's [httpx]
    # extra, is named in the start-up line.
    started = subprocess.run(
        [bin_dir / "omegi-run", "python", "-c", "import flask"],
        env={"PATH": str(bin_dir), "OMEGI_SERVICE_NAME": "fresh", "OMEGI_EXPORTER": "console", "OMEGI_TRACE_PACKAGES": "shop"},
        capture_output=True, text=True, timeout=120,
    )
    assert started.returncode == 0, started.stderr
    lines = [line for line in started.stderr.splitlines() if line.startswith("omegi-agent: INFO: tracing service")]
    assert lines == [
        "omegi-agent: INFO: tracing service fresh; exporters console; traced packages shop; instrumented flask, requests; "
        'httpx installed without instrumentation: pip install "omegi-agent[httpx]"'
    ], started.stderr


class Switch:
    """A TCP forwarder to Omegi that can be turned off (connections refused) and on again:
    an outage without stopping the real server."""

    def __init__(self, target_port: int):
        self.port = free_port()
        self.target = target_port
        self.server = None

    def on(self):
        self.server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def off(self):
        if self.server:
            self.server.close()
            self.server = None

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_a_refused_token_is_told_apart_from_an_outage(omegi):
    port = free_port()
    env = agent_env(omegi, OMEGI_SERVICE_NAME="bad-token", OMEGI_TOKEN="omg_" + "x" * 43)
    with running(["python", "run_flask.py", str(port)], env, port) as (base, stderr):
        assert requests.get(f"{base}/checkout/sku-1").status_code == 200
        wait_until(lambda: "cannot send spans" in stderr(), what="the warning")
    assert "Omegi refused the token (401): check OMEGI_TOKEN" in stderr(), stderr()
    assert "did not answer" not in stderr()
    start = [line for line in stderr().splitlines() if "tracing service bad-token" in line]
    assert start == [
        f"omegi-agent: INFO: tracing service bad-token; exporters otlp to {omegi.base}; traced packages shop, fastshop; "
        "instrumented flask, fastapi, requests, httpx, urllib3"
    ], stderr()


def test_after_an_outage_the_agent_says_omegi_is_reachable_again(omegi):
    switch = Switch(int(omegi.base.rsplit(":", 1)[1]))
    port = free_port()
    env = agent_env(omegi, OMEGI_SERVICE_NAME="comeback", OMEGI_ENDPOINT=f"http://127.0.0.1:{switch.port}")
    with running(["python", "run_flask.py", str(port)], env, port) as (base, stderr):
        requests.get(f"{base}/checkout/sku-1")
        wait_until(lambda: "cannot send spans" in stderr(), what="the outage warning")
        assert "Omegi did not answer (" in stderr(), stderr()
        switch.on()
        try:
            deadline = time.time() + 20
            while "reachable again" not in stderr() and time.time() < deadline:
                requests.get(f"{base}/checkout/sku-9")
                time.sleep(0.2)
            error = omegi.wait_error("shop.stock.OutOfStock", "comeback")
        finally:
            switch.off()
    assert stderr().count("is reachable again; spans are sent") == 1, stderr()
    assert error["service"] == "comeback"


def test_the_setup_guide_learns_the_frameworks_the_agent_found(omegi):
    port = free_port()
    env = agent_env(omegi, OMEGI_SERVICE_NAME="shop-web")
    with running(["python", "run_flask.py", str(port)], env, port) as (base, _):
        assert requests.get(f"{base}/checkout/sku-1").status_code == 200
        service = next(s for s in omegi.api("GET", f"/api/projects/{omegi.project}/services") if s["name"] == "shop-web")
        path = f"/api/projects/{omegi.project}/services/{service['id']}/setup"
        wait_until(lambda: omegi.api("GET", path)["frameworks"], what="the service's first spans")
    setup = omegi.api("GET", path)
    assert setup["frameworks"] == ["flask", "fastapi", "requests", "httpx"], setup
    assert setup["sdk_language"] == "python"
    assert setup["otlp_http_endpoint"] == f"{omegi.base}/v1/traces"
