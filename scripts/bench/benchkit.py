"""What the benchmark scripts share: the release `omegi` on free ports with a fresh data
directory, a signed-up owner with an ingest token, and the benchmark's spans (ten a trace, the
attributes of a typical HTTP server span with a database query)."""

import os
import socket
import subprocess
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


def start_omegi(data, extra=()):
    """`target/release/omegi serve` on free ports; returns the process and its base URL once
    it is ready."""
    port = free_port()
    binary = ROOT / "target" / "release" / "omegi"
    proc = subprocess.Popen([str(binary), "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}", "--grpc-addr", "127.0.0.1:0", *extra],
                            env={"OMEGI_LOG": "warn", **os.environ})
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{base}/readyz", "omegi")
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
