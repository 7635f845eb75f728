#!/usr/bin/env python3
"""Instructions a span costs the server, counted by valgrind (callgrind), which unlike time is
the same from run to run on this noisy machine (issue 14, docs/benchmarks.md).

The release `omegi` runs under `valgrind --tool=callgrind`; after start-up and sign-up its
counters are zeroed, the load generator (natively, in its own process) sends a fixed number of
spans at a gentle rate, and once every trace is assembled the counters are dumped. Prints the
instructions per stored span, the functions that executed the most of them, and a JSON
summary. With `--cache-sim` callgrind also simulates the caches (first-level data and last
level misses per span; slower).

    python scripts/bench/instructions.py [--spans 20000] [--rate 1000] [--cache-sim]
        [--server-binary PATH] [--keep callgrind.out]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, free_port, signed_up, wait_ready  # noqa: E402
from throughput import METRICS_TOKEN, metrics  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spans", type=int, default=20_000, help="spans to send (ten a trace)")
    ap.add_argument("--rate", type=int, default=1000, help="spans/s offered")
    ap.add_argument("--cache-sim", action="store_true", help="also simulate the caches")
    ap.add_argument("--server-binary", help="count this omegi instead of the release build")
    ap.add_argument("--top", type=int, default=25, help="functions to list")
    ap.add_argument("--keep", help="copy callgrind's dump of the load here (for callgrind_annotate)")
    args = ap.parse_args()
    binary = Path(args.server_binary or ROOT / "target/release/omegi")
    with tempfile.TemporaryDirectory() as data:
        out = Path(data) / "callgrind.out"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             f"--cache-sim={'yes' if args.cache_sim else 'no'}",
             str(binary), "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}",
             "--grpc-addr", "127.0.0.1:0", "--metrics-token", METRICS_TOKEN, "--trace-settle", "2s"],
            env={"OMEGI_LOG": "warn", **os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data)
        try:
            wait_ready(proc, f"{base}/readyz", "omegi under valgrind", seconds=120)
            _, token = signed_up(base, "gateway")
            time.sleep(2)
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                           stdout=subprocess.DEVNULL, cwd=data)
            duration = max(1, round(args.spans / args.rate))
            loadgen = subprocess.run(
                [str(binary), "loadgen", "--target", base, "--token", token, "--rate", str(args.rate),
                 "--duration", f"{duration}s", "--concurrency", "8", "--traces-per-export", "50",
                 "--error-ratio", "0.05", "--json", "--quiet"],
                check=True, capture_output=True, text=True)
            sent = json.loads(loadgen.stdout)
            deadline = time.time() + 300
            while time.time() < deadline:
                m = metrics(base)
                if m.get("omegi_traces_pending", 1) == 0 and m.get("omegi_spans_stored", 0) > 0:
                    break
                time.sleep(1)
            stored = int(metrics(base).get("omegi_spans_stored", 0))
            subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True,
                           stdout=subprocess.DEVNULL, cwd=data)
        finally:
            proc.terminate()
            proc.wait()
        dumps = sorted(Path(data).glob("callgrind.out*"), key=lambda p: p.stat().st_mtime)
        # The first dump after the zeroing is the load's; the last is written at exit.
        dump = next(p for p in dumps if p.name != out.name) if len(dumps) > 1 else dumps[0]
        if args.keep:
            Path(args.keep).write_bytes(dump.read_bytes())
        summary = summarise(dump, stored, sent, args)
        annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(dump)],
                                  capture_output=True, text=True).stdout
        print("\n".join(top_functions(annotate, args.top)), file=sys.stderr)
        print(json.dumps(summary, indent=2))


def summarise(dump, stored, sent, args):
    events, totals = None, None
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:") or line.startswith("totals:"):
            totals = [int(x) for x in line.split()[1:]]
    counts = dict(zip(events or [], totals or []))
    per_span = {f"{k}_per_span": round(v / stored, 1) for k, v in counts.items()} if stored else {}
    return {
        "spans_offered": args.spans,
        "rate": args.rate,
        "spans_stored": stored,
        "rejected_spans": sent.get("rejected_spans"),
        **{k.lower(): v for k, v in counts.items()},
        **{k.lower(): v for k, v in per_span.items()},
    }


def top_functions(annotate, n):
    """The `n` functions with the most instructions of their own, from callgrind_annotate."""
    lines = annotate.splitlines()
    rows = [l for l in lines if re.match(r"^\s*[\d,]+ \(\s*[\d.]+%\)\s+\S", l)]
    return rows[:n]


if __name__ == "__main__":
    main()
