"""Goodput and memory of `omegi serve` (release build) when exports arrive faster than it can
store them: first a few clients (its unloaded rate), then 64 clients sending 4 MB exports at
once. Counts accepted spans per second, refusals (503 / connection closed before the body was
read) and the server's peak resident memory.

    cargo build --release -p omegi
    target/test-venv/bin/python scripts/bench/overload.py [seconds]
"""

import shutil
import sys
import tempfile
import threading
import time

import requests

from benchkit import export as encode, signed_up, span, start_omegi

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10


def export(spans_count, seed):
    now = time.time_ns()
    return encode([span(seed * 1_000_000 + i // 10, i % 10, now + i - i % 10) for i in range(spans_count)], "orders")


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
    data = tempfile.mkdtemp(prefix="omegi-overload-")
    proc, base = start_omegi(data)
    try:
        _, token = signed_up(base, "orders")
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
