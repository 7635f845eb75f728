"""Goodput and memory of `omegi serve` (release build) when exports arrive faster than it can
store them: first a few clients (its unloaded rate), then 64 clients sending 4 MB exports at
once. Counts accepted spans per second, refusals (503 / connection closed before the body was
read) and the server's peak resident memory.

    cargo build --release -p omegi
    target/test-venv/bin/python scripts/bench/overload.py [seconds]
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kv(k, v):
    return KeyValue(key=k, value=AnyValue(string_value=v))


def export(spans_count, seed):
    now = time.time_ns()
    spans = []
    for i in range(spans_count):
        trace = (seed * 1_000_000 + i // 10).to_bytes(16, "big")
        spans.append(
            Span(
                trace_id=trace,
                span_id=(i % 10 + 1).to_bytes(8, "big"),
                parent_span_id=b"" if i % 10 == 0 else (i % 10).to_bytes(8, "big"),
                name="GET /api/orders/{id}",
                kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=now + i,
                end_time_unix_nano=now + i + 5_000_000,
                attributes=[
                    kv("http.request.method", "GET"),
                    kv("url.full", f"https://shop.example.com/api/orders/{i}?expand=items,customer"),
                    kv("db.query.text", "SELECT o.id, o.total FROM orders o WHERE o.id = $1 " * 4),
                ],
            )
        )
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=Resource(attributes=[kv("service.name", "orders")]), scope_spans=[ScopeSpans(spans=spans)])]
    ).SerializeToString()


def peak_rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run(base, token, clients, body, spans_per_export, seconds):
    accepted, refused = [0], [0]
    lock = threading.Lock()
    deadline = time.time() + seconds

    def client():
        http = requests.Session()
        while time.time() < deadline:
            try:
                r = http.post(f"{base}/v1/traces", data=body, timeout=60,
                              headers={"authorization": f"Bearer {token}", "content-type": "application/x-protobuf"})
                ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                if ok:
                    accepted[0] += spans_per_export
                else:
                    refused[0] += 1
            if not ok:
                time.sleep(0.05)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted[0] / (time.time() - start), refused[0]


def main():
    binary = ROOT / "target" / "release" / "omegi"
    data = tempfile.mkdtemp(prefix="omegi-overload-")
    port = free_port()
    proc = subprocess.Popen([str(binary), "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}",
                             "--grpc-addr", "127.0.0.1:0"], env={**os.environ, "OMEGI_LOG": "warn"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/readyz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        s = requests.Session()
        s.post(f"{base}/api/auth/signup", json={"username": "bench", "password": "bench-password"}).raise_for_status()
        p = s.post(f"{base}/api/projects", json={"name": "bench"}).json()["id"]
        sid = s.post(f"{base}/api/projects/{p}/services", json={"name": "orders"}).json()["id"]
        token = s.post(f"{base}/api/projects/{p}/services/{sid}/tokens").json()["secret"]
        small, small_n = export(2_000, 1), 2_000
        big, big_n = export(9_000, 2), 9_000
        print(f"exports: {len(small) / 1e6:.1f} MB ({small_n} spans) and {len(big) / 1e6:.1f} MB ({big_n} spans)")
        unloaded, _ = run(base, token, 2, small, small_n, SECONDS)
        print(f"2 clients, 1 MB exports:  {unloaded:,.0f} spans/s accepted")
        loaded, refused = run(base, token, 64, big, big_n, SECONDS)
        print(f"64 clients, 4 MB exports: {loaded:,.0f} spans/s accepted, {refused} refusals; "
              f"peak RSS {peak_rss(proc.pid) / 2**20:.0f} MiB")
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
