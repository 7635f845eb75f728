"""Start-up time of the Spring Boot test shop without an agent, with the stock OpenTelemetry
agent and with Omegi's agent, and the cost of one traced method call.

    scripts/build-java-agent.sh -DskipTests && python3 agents/java/bench/bench.py [runs]

Spans are created but not exported (OTEL_TRACES_EXPORTER=none / OMEGI_EXPORTER=none), so the
numbers are the agents' own cost, not an exporter's. Prints a Markdown table."""

import os
import statistics
import subprocess
import sys
import time
import urllib.request
import socket
from pathlib import Path

JAVA = Path(__file__).resolve().parents[1]
SHOP = JAVA / "testapp" / "target" / "testshop.jar"
OMEGI_AGENT = JAVA / "agent" / "target" / "omegi-agent.jar"


def upstream_agent() -> Path:
    pom = (JAVA / "pom.xml").read_text()
    version = pom.split("<otel.agent.version>")[1].split("<")[0]
    repo = Path.home() / ".m2" / "repository" / "io" / "opentelemetry" / "javaagent" / "opentelemetry-javaagent"
    return repo / version / f"opentelemetry-javaagent-{version}.jar"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


CONFIGS = {
    "no agent": ([], {}),
    "stock OpenTelemetry agent": (
        [f"-javaagent:{upstream_agent()}"],
        {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"},
    ),
    "Omegi agent": (
        [f"-javaagent:{OMEGI_AGENT}"],
        {"OMEGI_EXPORTER": "none", "OMEGI_TRACE_PACKAGES": "dev.omegi.testshop"},
    ),
}


def start(flags, env):
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMEGI_", "OTEL_", "JAVA_TOOL_OPTIONS"))}
    proc = subprocess.Popen(
        ["java", "-XX:+UseSerialGC", "-Xmx256m", *flags, "-jar", str(SHOP)],
        env={**clean, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    began = time.perf_counter()
    while True:
        try:
            get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc, port, time.perf_counter() - began
        except OSError:
            if proc.poll() is not None or time.perf_counter() - began > 180:
                raise RuntimeError(f"the shop did not start with {flags}")
            time.sleep(0.02)


def stop(proc):
    proc.terminate()
    proc.wait(30)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = []
    for name, (flags, env) in CONFIGS.items():
        startups = []
        for _ in range(runs):
            proc, _, seconds = start(flags, env)
            startups.append(seconds)
            stop(proc)
        proc, port, _ = start(flags, env)
        calls = []
        for _ in range(5):
            reply = get(f"http://127.0.0.1:{port}/bench?n=200000")
            calls.append(float(reply.split('"ns_per_call":')[1].split(",")[0]))
        stop(proc)
        rows.append((name, statistics.median(startups), min(startups), min(calls)))
        print(f"{name}: start-up median {rows[-1][1]:.2f}s, per call {rows[-1][3]:.1f} ns", file=sys.stderr)
    base = rows[0][1]
    print("| configuration | start-up to first answer, median (min) | added by the agent | PriceCalculator.withTax per call |")
    print("| --- | --- | --- | --- |")
    for name, median, low, call in rows:
        print(f"| {name} | {median:.2f} s ({low:.2f} s) | {median - base:+.2f} s | {call:.1f} ns |")


if __name__ == "__main__":
    main()
