"""A real `omegi` server for the agent's tests, and helpers to run apps under `omegi-run`."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent
APPS = HERE / "apps"
sys.path.insert(0, str(HERE.parents[1] / "testkit"))

from omegi_testkit import Omegi, free_port, reachable, running_omegi, wait_until  # noqa: E402,F401


@pytest.fixture(scope="session")
def omegi():
    with running_omegi(project="python-shop", service="shop-web", kind="python") as server:
        yield server


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
        wait_until(lambda: proc.poll() is not None or reachable(f"{base}/health"), what=f"{args} to start")
        assert proc.poll() is None, stderr()
        yield base, stderr
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
