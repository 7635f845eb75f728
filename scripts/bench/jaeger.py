"""Omegi beside Jaeger v2 (Badger storage), driven one after the other by the same
`omegi loadgen` with the same payloads on this machine. Reports for both: sustained spans/s
acknowledged, CPU seconds per million spans, peak resident memory, disk bytes per span and
how long after it was sent a trace can be read back by id (sampled every 2 s under load).

    python3 scripts/bench/jaeger.py [--duration 60] [--rate 0]

Run by hand, not by CI. Needs `cargo build --release -p omegi` and Go: Jaeger is built from
the Go module proxy at a pinned version into target/peers/ (nothing of it is committed)."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, export, free_port, kv, signed_up, start_omegi, wait_ready  # noqa: E402
from throughput import METRICS_TOKEN, metrics, proc_stats  # noqa: E402

JAEGER_VERSION = "v1.76.0"  # the Go module tag of Jaeger v2.13 (cmd/jaeger is the v2 binary)
JAEGER = ROOT / "target" / "peers" / "jaeger"

CONFIG = """
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:{health}
  jaeger_query:
    storage:
      traces: main
    http:
      endpoint: 127.0.0.1:{query}
    grpc:
      endpoint: 127.0.0.1:{query_grpc}
  jaeger_storage:
    backends:
      main:
        badger:
          directories:
            keys: {data}/keys
            values: {data}/values
          ephemeral: false
          ttl:
            spans: 48h
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{otlp_grpc}
      http:
        endpoint: 127.0.0.1:{otlp_http}
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: main
"""


def build_jaeger():
    if JAEGER.exists():
        return
    info = json.loads(subprocess.run(["go", "mod", "download", "-json", f"github.com/jaegertracing/jaeger@{JAEGER_VERSION}"],
                                     capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory() as src:
        # Built as the main module: the module's replace directives rule out `go install`.
        shutil.copytree(info["Dir"], src, dirs_exist_ok=True)
        subprocess.run(["chmod", "-R", "u+w", src], check=True)
        JAEGER.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(JAEGER), "./cmd/jaeger"], cwd=src, check=True)


def start_jaeger(data):
    ports = {k: free_port() for k in ("health", "query", "query_grpc", "otlp_grpc", "otlp_http")}
    config = Path(data) / "config.yaml"
    config.write_text(CONFIG.format(data=data, **ports))
    proc = subprocess.Popen([str(JAEGER), "--config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(proc, f"http://127.0.0.1:{ports['health']}/status", "jaeger", seconds=30)
    return proc, ports


def disk_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def probe_queryable(ingest_url, headers, readable, stop, samples):
    """Every 2 s: one small trace, and the time until it can be read back by id."""
    n = 0
    while not stop.is_set():
        n += 1
        trace_id = os.urandom(16)
        body = export([span_of(trace_id)], "probe")
        sent = time.time()
        requests.post(ingest_url, data=body, headers={"content-type": "application/x-protobuf", **headers}, timeout=30)
        while not stop.is_set() and time.time() - sent < 60:
            if readable(trace_id.hex()):
                samples.append(time.time() - sent)
                break
            time.sleep(0.02)
        stop.wait(2)


def span_of(trace_id):
    from opentelemetry.proto.trace.v1.trace_pb2 import Span
    now = time.time_ns()
    return Span(trace_id=trace_id, span_id=os.urandom(8), name="GET /probe", kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=now, end_time_unix_nano=now + 1_000_000, attributes=[kv("http.route", "/probe")])


def drive(name, pid, ingest_base, token, readable, data_dir, args, settled=lambda: True):
    """Loads one system; CPU is counted until it has settled (Omegi: every trace assembled)."""
    loadgen = [str(ROOT / "target/release/omegi"), "loadgen", "--target", ingest_base, "--token", token,
               "--rate", str(args.rate), "--duration", f"{args.duration}s", "--json", "--quiet"]
    _, _, cpu0 = proc_stats(pid)
    stop, samples = threading.Event(), []
    prober = threading.Thread(target=probe_queryable, args=(f"{ingest_base}/v1/traces", {"authorization": f"Bearer {token}"}, readable, stop, samples))
    prober.start()
    report = json.loads(subprocess.run(loadgen, capture_output=True, text=True, check=True).stdout)
    stop.set()
    prober.join()
    time.sleep(5)  # let both flush what they buffered before the disk is measured
    while not settled():
        time.sleep(0.5)
    _, hwm, cpu1 = proc_stats(pid)
    accepted = report["accepted_spans"]
    return {
        "system": name,
        "acknowledged_spans_per_sec": round(report["accepted_per_sec"]),
        "rejected_spans": report["rejected_spans"],
        "export_p99_ms": report["export"]["p99_ms"],
        "cpu_seconds_per_million_spans": round((cpu1 - cpu0) / max(accepted, 1) * 1e6, 1),
        "peak_rss_mib": round(hwm / 2**20, 1),
        "disk_bytes_per_span": round(disk_bytes(data_dir) / max(accepted, 1)),
        "queryable_after_s_median": round(statistics.median(samples), 3) if samples else None,
        "queryable_after_s_max": round(max(samples), 3) if samples else None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--rate", type=int, default=0, help="spans/s; 0 = as fast as acknowledged")
    args = ap.parse_args()
    build_jaeger()
    results = []

    with tempfile.TemporaryDirectory() as data:
        proc, base = start_omegi(data, ["--metrics-token", METRICS_TOKEN])
        try:
            session, token = signed_up(base, "gateway")
            readable = lambda trace: session.get(f"{base}/api/traces/{trace}", timeout=10).ok
            assembled = lambda: metrics(base).get("omegi_traces_pending", 1) == 0
            results.append(drive("omegi", proc.pid, base, token, readable, data, args, assembled))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    with tempfile.TemporaryDirectory() as data:
        proc, ports = start_jaeger(data)
        try:
            query = f"http://127.0.0.1:{ports['query']}"
            readable = lambda trace: requests.get(f"{query}/api/traces/{trace}", timeout=10).ok
            results.append(drive("jaeger", proc.pid, f"http://127.0.0.1:{ports['otlp_http']}", "unused", readable, data, args))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
