#!/usr/bin/env python3
"""Instructions a span costs the server, counted by valgrind (callgrind), which unlike time is
the same from run to run on this noisy machine (issue 14, docs/benchmarks.md).

The release `omegi` runs under `valgrind --tool=callgrind`; after start-up and sign-up its
counters are zeroed, the load generator (natively, in its own process) sends a fixed number of
spans at a gentle rate, and once every trace is assembled the server is stopped (its shutdown
is counted too). Prints the instructions per stored span, the functions that executed the
most of them, and a JSON summary. With `--cache-sim` callgrind also simulates the caches
(first-level data and last-level misses per span; slower). Needs Debian's `valgrind`.

    python scripts/bench/instructions.py [--spans 20000] [--rate 1000] [--cache-sim]
        [--server-binary PATH] [--keep callgrind.out]
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, signed_up, start_omegi  # noqa: E402
from throughput import METRICS_TOKEN, metrics  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spans", type=int, default=20_000, help="spans to send (ten a trace)")
    ap.add_argument("--rate", type=int, default=1000, help="spans/s offered")
    ap.add_argument("--cache-sim", action="store_true", help="also simulate the caches")
    ap.add_argument("--server-binary", help="count this omegi instead of the release build")
    ap.add_argument("--top", type=int, default=25, help="functions to list")
    ap.add_argument("--keep", help="copy callgrind's counts here (for callgrind_annotate)")
    args = ap.parse_args()
    binary = Path(args.server_binary or ROOT / "target/release/omegi")
    with tempfile.TemporaryDirectory() as data:
        out = Path(data) / "callgrind.out"
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    f"--cache-sim={'yes' if args.cache_sim else 'no'}"]
        proc, base = start_omegi(data, ["--metrics-token", METRICS_TOKEN, "--trace-settle", "2s"], binary,
                                 under=valgrind, ready_seconds=120, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, cwd=data)
        try:
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
        finally:
            # Callgrind writes its counts when the server exits.
            proc.terminate()
            proc.wait()
        if args.keep:
            Path(args.keep).write_bytes(out.read_bytes())
        summary = summarise(out, stored, sent, args)
        annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(out)],
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
    """The `n` functions with the most instructions of their own, from callgrind_annotate
    (which also lists the threads' entry frames, such as `thread_start` and tokio's `poll`,
    with what the code inlined into them ran: read those as whole threads)."""
    lines = annotate.splitlines()
    rows = [l for l in lines if re.match(r"^\s*[\d,]+ \(\s*[\d.]+%\)\s+\S", l)]
    return rows[:n]


if __name__ == "__main__":
    main()
