"""Sentry SDKs from the registries (Python `sentry-sdk`, Node `@sentry/node`, Java
`io.sentry:sentry`) sending to a real omegi with a DSN from its API, nothing else changed."""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
APPS = HERE / "apps"
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "agents" / "testkit"))

from omegi_testkit import free_port, running, running_omegi, wait_until  # noqa: E402


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


def sentry_shop(dsn, tracing=False, downstream=None):
    port = free_port()
    env = clean_env(PYTHONPATH=str(APPS), SENTRY_DSN=dsn, TRACING="1" if tracing else "0", DOWNSTREAM_URL=downstream)
    return running([sys.executable, "-m", "sentry_shop", str(port)], env, port, cwd=APPS, startup=30)


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
    return running([omegi_run, sys.executable, "-m", "payments", str(port)], env, port, cwd=APPS, startup=30)
