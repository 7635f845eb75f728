"""The Java agent's tests: the Spring Boot test shop under `-javaagent:omegi-agent.jar`, Python
services under `omegi-run`, and a real omegi server receiving from all of them.

Build first with `mvn -f agents/java/pom.xml package` (scripts/test.sh does)."""

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
JAVA = HERE.parent
APPS = HERE / "apps"
sys.path.insert(0, str(JAVA.parent / "testkit"))

from omegi_testkit import free_port, running, running_omegi, wait_until  # noqa: E402,F401 (re-exported to the tests)

AGENT_JAR = Path(os.environ.get("OMEGI_JAVA_AGENT", JAVA / "agent" / "target" / "omegi-agent.jar"))
EXTENSION_JAR = JAVA / "extension" / "target" / "omegi-extension.jar"
TESTSHOP_JAR = JAVA / "testapp" / "target" / "testshop.jar"


def upstream_agent_jar() -> Path:
    """The stock upstream agent the build unpacked, from the local Maven repository."""
    version = (JAVA / "pom.xml").read_text().split("<otel.agent.version>")[1].split("<")[0]
    repo = Path.home() / ".m2" / "repository" / "io" / "opentelemetry" / "javaagent" / "opentelemetry-javaagent"
    return repo / version / f"opentelemetry-javaagent-{version}.jar"
TRACED = "dev.omegi.testshop"


@pytest.fixture(scope="session")
def omegi():
    # Tests continue a trace of their own (a traceparent whose parent span is never sent), so
    # such a trace is assembled after max-wait rather than when its root arrives.
    args = ("--trace-max-wait", "3s")
    with running_omegi(project="java-shop", service="shop-java", kind="java", args=args) as server:
        yield server


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMEGI_", "OTEL_", "JAVA_TOOL_OPTIONS"))}
    # Export within 100 ms so the tests need not wait for the default 5 s batch delay.
    env["OTEL_BSP_SCHEDULE_DELAY"] = "100"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


def java_app(service, omegi=None, exporter=None, downstream=None, endpoint=None, token=None, agent=AGENT_JAR, properties=(), **extra):
    """The Spring Boot test shop under the agent (agent=None: no agent)."""
    assert TESTSHOP_JAR.exists(), f"build the Java agent first: mvn -f {JAVA}/pom.xml package"
    port = free_port()
    env = clean_env(
        PORT=port,
        DOWNSTREAM_URL=downstream,
        OMEGI_SERVICE_NAME=service,
        OMEGI_TRACE_PACKAGES=TRACED,
        OMEGI_EXPORTER=exporter,
        OMEGI_ENDPOINT=endpoint or (omegi.base if omegi else None),
        OMEGI_TOKEN=token or (omegi.token if omegi else None),
        **extra,
    )
    cmd = [shutil.which("java"), "-XX:+UseSerialGC", "-Xmx256m", *properties]
    if agent is not None:
        cmd.append(f"-javaagent:{agent}")
    cmd += ["-jar", str(TESTSHOP_JAR)]
    return running(cmd, env, port)


def python_app(module, service, omegi, **extra):
    """A Flask app of tests/apps under `omegi-run`, its methods traced."""
    port = free_port()
    env = clean_env(
        PYTHONPATH=str(APPS),
        OMEGI_SERVICE_NAME=service,
        OMEGI_TRACE_PACKAGES="storefront,payments",
        OMEGI_ENDPOINT=omegi.base,
        OMEGI_TOKEN=omegi.token,
        **extra,
    )
    omegi_run = str(Path(sys.executable).parent / "omegi-run")
    return running([omegi_run, sys.executable, "-m", module, str(port)], env, port, cwd=APPS, startup=30)


def traceparent():
    """A W3C traceparent for a new sampled trace, so a test knows its request's trace id."""
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-01"


def median_seconds(app, path, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert app.get(path).ok
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2]
