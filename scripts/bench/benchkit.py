"""What the benchmark scripts share: the release `omegi` on free ports with a fresh data
directory, a signed-up owner with an ingest token, and the benchmark's spans (ten a trace, the
attributes of a typical HTTP server span with a database query)."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kv(k, v):
    return KeyValue(key=k, value=AnyValue(string_value=v))


def span(trace_no, i, now):
    """Span `i` (0 = the root) of ten in trace `trace_no` (a positive number)."""
    return Span(
        trace_id=trace_no.to_bytes(16, "big"),
        span_id=(i + 1).to_bytes(8, "big"),
        parent_span_id=b"" if i == 0 else i.to_bytes(8, "big"),
        name="GET /api/orders/{id}",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=now + i,
        end_time_unix_nano=now + i + 5_000_000,
        attributes=[
            kv("http.request.method", "GET"),
            kv("url.full", f"https://shop.example.com/api/orders/{trace_no}?expand=items,customer"),
            kv("db.query.text", "SELECT o.id, o.total FROM orders o WHERE o.id = $1 " * 4),
        ],
    )


def export(spans, service):
    """An OTLP protobuf export of `spans` from `service`."""
    resource = Resource(attributes=[kv("service.name", service)])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]).SerializeToString()


def start_omegi(data, extra=(), binary=None, under=(), ready_seconds=10, **popen):
    """`target/release/omegi serve` (or `binary`'s) on free ports, run by the command `under`
    if given (valgrind); returns the process and its base URL once it is ready."""
    port = free_port()
    binary = binary or ROOT / "target" / "release" / "omegi"
    proc = subprocess.Popen([*under, str(binary), "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}", "--grpc-addr", "127.0.0.1:0", *extra],
                            env={"OMEGI_LOG": "warn", **os.environ}, **popen)
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{base}/readyz", "omegi", seconds=ready_seconds)
    return proc, base


def wait_ready(proc, url, name, seconds=10):
    """Waits until `url` answers 2xx; kills `proc` if it does not within `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{name} did not start")


def signed_up(base, service):
    """Signs `bench` up with a project and `service`; returns the session and an ingest token."""
    s = requests.Session()
    s.post(f"{base}/api/auth/signup", json={"username": "bench", "password": "bench-password"}).raise_for_status()
    p = s.post(f"{base}/api/projects", json={"name": "bench"}).json()["id"]
    sid = s.post(f"{base}/api/projects/{p}/services", json={"name": service}).json()["id"]
    return s, s.post(f"{base}/api/projects/{p}/services/{sid}/tokens").json()["secret"]


@contextlib.contextmanager
def postgres_server():
    """A PostgreSQL server of this machine's newest version with its default settings (`fsync`
    and `synchronous_commit` on, 128 MB shared buffers), in a temporary directory on a free
    loopback port; yields the URL of an empty database, and stops and removes the server
    after. Run as root, the server runs as the `postgres` user."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise SystemExit("--postgres needs PostgreSQL's server (Debian: postgresql)")
    bin_dir = found[-1].parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    home = tempfile.mkdtemp(prefix="omegi-bench-pg.")
    if as_postgres:
        shutil.chown(home, "postgres")
    port = free_port()
    pg_ctl = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", f"{home}/data"]
    try:
        subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", f"{home}/data", "-U", "postgres", "-A", "trust"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*pg_ctl, "-l", f"{home}/log", "-w", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {home}", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        url = f"postgres://postgres@127.0.0.1:{port}"
        subprocess.run([str(bin_dir / "psql"), f"{url}/postgres", "-qc", "CREATE DATABASE bench"], check=True)
        yield f"{url}/bench"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)
