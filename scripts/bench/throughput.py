"""Sustained throughput, end to end: `omegi loadgen` in its own process drives the release
`omegi serve` for a while; this script reads the server's /metrics each second and reports
spans acknowledged a second, whether assembly kept pace (pending traces and the assembly lag
over the run, and how long the backlog took to drain after the load stopped), CPU seconds per
million spans, resident memory idle and at peak, and disk bytes per stored span.

    python3 scripts/bench/throughput.py [--rate N] [--duration 60] [--postgres | --database-url URL]
                                        [--server-binary PATH]

Needs `cargo build --release -p omegi`. With --postgres the server uses a PostgreSQL server
started for the run with its default settings (the machine's newest version, `fsync` on, in a
temporary directory, removed after); with --database-url, that database (it must be empty). First it runs `cargo bench -p omegi --bench ceiling` (decoding
alone, storing alone, on the same payload) and reports the run's figures as fractions of it."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, postgres_server, signed_up, start_omegi  # noqa: E402

METRICS_TOKEN = "bench-metrics-token"
TICKS = os.sysconf("SC_CLK_TCK")


def metrics(base):
    text = requests.get(f"{base}/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    values = {}
    for line in text.splitlines():
        m = re.match(r"^(omegi_[a-z_]+?)(?:_total)?(\{[^}]*\})? ([0-9.e+-]+)$", line)
        if m:
            values[m.group(1)] = values.get(m.group(1), 0.0) + float(m.group(3))
    return values


def proc_stats(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) * 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    return rss, hwm, cpu


def disk_bytes(data, database_url):
    if database_url:
        out = subprocess.run(["psql", database_url, "-Atc", "SELECT pg_database_size(current_database())"], capture_output=True, text=True, check=True)
        return int(out.stdout.strip())
    return sum(f.stat().st_size for f in Path(data).glob("omegi.db*"))


def watch_after_ms(settle):
    """When the loadgen first asks the API for a watched failing trace: one poll (20 ms)
    before the settle time (`2s`, `500ms`). Nothing can be listed earlier: a trace is
    assembled only once no span of it arrived for the settle time, counted from when the
    server received the last one, after the loadgen sent it. Polling from the start (5
    watched traces a second, each every 20 ms until listed ~2.3 s later) was ~575 requests a
    second, from half a second before the settle time still ~150, most of them only loading
    the server."""
    ms = float(settle[:-2]) if settle.endswith("ms") else float(settle.rstrip("s")) * 1000
    return max(0, int(ms) - 20)


def ceiling():
    out = subprocess.run(["cargo", "bench", "-q", "-p", "omegi", "--bench", "ceiling"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=0, help="spans/s; 0 = as fast as acknowledged")
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--protocol", default="http-protobuf")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--traces-per-export", type=int, default=50)
    ap.add_argument("--error-ratio", type=float, default=0.05, help="share of traces that fail")
    ap.add_argument("--database-url")
    ap.add_argument("--postgres", action="store_true",
                    help="start a PostgreSQL server with its default settings (fsync on) for this run")
    ap.add_argument("--settle", default="2s")
    ap.add_argument("--no-ceiling", action="store_true")
    ap.add_argument("--kafka-brokers", help="send through Kafka: loadgen produces, omegi consumes")
    ap.add_argument("--server-binary", help="run this omegi (server and loadgen) instead of the release build (A/B runs)")
    args = ap.parse_args()
    if args.postgres:
        with postgres_server() as url:
            args.database_url = url
            run(args)
    else:
        run(args)


def run(args):
    with tempfile.TemporaryDirectory() as data:
        # A copy of the release build, taken first: `cargo bench` (the ceiling) builds the
        # package's binary again with the dev-dependencies' features (2-3 MiB more resident
        # at idle), in the same place.
        binary = Path(data) / "omegi-under-test"
        shutil.copy2(args.server_binary or ROOT / "target/release/omegi", binary)
        limits = None if args.no_ceiling else ceiling()
        extra = ["--metrics-token", METRICS_TOKEN, "--trace-settle", args.settle]
        if args.database_url:
            extra += ["--database-url", args.database_url]
        via_kafka = []
        if args.kafka_brokers:
            topic = f"bench-{os.getpid()}-{int(time.time())}"
            extra += ["--kafka-brokers", args.kafka_brokers, "--kafka-topic", topic]
            args.protocol = "kafka"
            via_kafka = ["--kafka-brokers", args.kafka_brokers, "--kafka-topic", topic, "--api", "{base}"]
        proc, base = start_omegi(data, extra, binary)
        try:
            _, token = signed_up(base, "gateway")
            time.sleep(3)
            idle_rss, _, cpu0 = proc_stats(proc.pid)
            loadgen = subprocess.Popen(
                [str(binary), "loadgen", "--target", base, "--token", token, "--protocol", args.protocol,
                 "--rate", str(args.rate), "--duration", f"{args.duration}s", "--concurrency", str(args.concurrency),
                 "--traces-per-export", str(args.traces_per_export), "--error-ratio", str(args.error_ratio), "--user", "bench", "--password", "bench-password",
                 "--watch-after", f"{watch_after_ms(args.settle)}ms",
                 "--json", "--quiet", *[a.replace("{base}", base) for a in via_kafka]],
                stdout=subprocess.PIPE, text=True)
            pending, lags, stored_at = [], [], []
            started = time.time()
            while loadgen.poll() is None:
                time.sleep(1)
                m = metrics(base)
                pending.append(int(m.get("omegi_traces_pending", 0)))
                stored_at.append((time.time(), m.get("omegi_spans_stored", 0)))
                lags.append(int(m.get("omegi_assembly_lag_milliseconds", 0)))
                print(f"{time.time() - started:5.0f}s stored {m.get('omegi_spans_stored', 0):.0f} spans, "
                      f"pending {pending[-1]} traces, lag {lags[-1]} ms, queue {m.get('omegi_span_queue_spans', 0):.0f}", file=sys.stderr)
            report = json.loads(loadgen.stdout.read())
            load_end = started + report["seconds"]
            _, _, cpu_load = proc_stats(proc.pid)
            while True:
                m = metrics(base)
                stored_at.append((time.time(), m.get("omegi_spans_stored", 0)))
                caught_up = m.get("omegi_spans_stored", 0) >= report["accepted_spans"]
                if caught_up and m.get("omegi_traces_pending", 1) == 0 and time.time() - load_end > 1.5:
                    break
                if time.time() - load_end > 600:
                    print(f"not caught up after 10 minutes: {m}", file=sys.stderr)
                    break
                time.sleep(0.2)
            # Stored a second, from the first stored span to the last (the consumer's rate when
            # the spans come through Kafka).
            moving = [(t, n) for t, n in stored_at if 0 < n]
            first = moving[0] if moving else (0, 0)
            last = next(((t, n) for t, n in moving if n >= moving[-1][1]), first)
            drained = time.time() - load_end
            _, hwm, cpu1 = proc_stats(proc.pid)
            stored = m.get("omegi_spans_stored", 0)
            disk = disk_bytes(data, args.database_url)
            # The second half of the run: steady state, after the first backlog formed.
            half = pending[len(pending) // 2:] or [0]
            summary = {
                "database": "postgresql" if args.database_url else "sqlite",
                "protocol": args.protocol,
                "acknowledged_spans_per_sec": round(report["accepted_per_sec"]),
                "stored_spans_per_sec": round((last[1] - first[1]) / max(last[0] - first[0], 1e-3)),
                "rejected_spans": report["rejected_spans"],
                "export_p50_ms": report["export"]["p50_ms"],
                "export_p99_ms": report["export"]["p99_ms"],
                "api_visible_p99_ms": report["api_visible"]["p99_ms"],
                "sse_visible_p99_ms": report["sse_visible"]["p99_ms"],
                "pending_traces_max_second_half": max(half),
                "pending_traces_last": pending[-1] if pending else 0,
                "assembly_lag_ms_max": max(lags or [0]),
                "drained_after_load_s": round(drained, 1),
                "cpu_seconds_per_million_spans": round((cpu1 - cpu0) / max(stored, 1) * 1e6, 2),
                "cpu_seconds_during_load": round(cpu_load - cpu0, 1),
                "idle_rss_mib": round(idle_rss / 2**20, 1),
                "peak_rss_mib": round(hwm / 2**20, 1),
                "stored_spans": int(stored),
                "disk_bytes_per_span": round(disk / max(stored, 1)),
                "occurrences_created": int(m.get("omegi_occurrences_created", 0)),
                "failing_traces_sent": report["failing_traces"],
            }
            if limits:
                summary["ceiling"] = limits
                acked = summary["acknowledged_spans_per_sec"]
                summary["fraction_of_decoding_ceiling"] = round(acked / limits["decode_protobuf_spans_per_sec"], 3)
                summary["fraction_of_storing_ceiling"] = round(acked / limits["store_sqlite_rows_per_sec"], 3)
            print(json.dumps(summary, indent=2))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
