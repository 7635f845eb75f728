#!/usr/bin/env python3
"""What SQLite's write-ahead log writes under load, by b-tree (issue 14, docs/benchmarks.md).

Runs the release `omegi serve` on SQLite and the load generator as fast as acknowledged; at
`--copy-at` seconds into the load it copies the `-wal` file and then the database. Every frame
of the log's current generation names the page it holds; SQLite's `dbstat` table on the copy
names the b-tree (table or index) each page belongs to. Prints each b-tree's share of the
frames, the frames per commit, and a JSON summary. `dbstat` must be compiled into Python's
`sqlite3` (Debian's and python.org's builds have it).

    python scripts/bench/wal_frames.py [--duration 40] [--copy-at 30] [--server-binary PATH]
"""

import argparse
import collections
import json
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, signed_up, start_omegi  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=40, help="seconds of load")
    ap.add_argument("--copy-at", type=int, default=30, help="seconds into the load to copy the log")
    ap.add_argument("--server-binary", help="run this omegi instead of the release build")
    args = ap.parse_args()
    binary = Path(args.server_binary or ROOT / "target/release/omegi")
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as copy:
        proc, base = start_omegi(data, [], binary)
        try:
            _, token = signed_up(base, "gateway")
            loadgen = subprocess.Popen(
                [str(binary), "loadgen", "--target", base, "--token", token, "--rate", "0",
                 "--duration", f"{args.duration}s", "--json", "--quiet"],
                stdout=subprocess.PIPE, text=True)
            time.sleep(args.copy_at)
            db = Path(data) / "omegi.db"
            # The log first: pages it names that the database copy lacks are new since.
            shutil.copyfile(f"{db}-wal", Path(copy) / "omegi.db-wal")
            shutil.copyfile(db, Path(copy) / "omegi.db")
            sent = json.loads(loadgen.communicate()[0])
        finally:
            proc.terminate()
            proc.wait()
        frames, commits = wal_frames(Path(copy) / "omegi.db-wal")
        owner, size = page_owners(Path(copy) / "omegi.db")
    counts = collections.Counter(owner.get(page, "(pages added after the copy)") for page in frames)
    total = len(frames)
    for name, n in counts.most_common():
        print(f"{name:45s} {n:8d} frames {100 * n / total:5.1f}%  {size.get(name, 0):8d} pages",
              file=sys.stderr)
    print(json.dumps({
        "acknowledged_spans_per_sec": sent.get("accepted_per_sec"),
        "frames": total,
        "commits": commits,
        "frames_per_commit": round(total / max(commits, 1), 1),
        "share_by_btree": {name: round(n / total, 3) for name, n in counts.most_common()},
    }, indent=2))


def wal_frames(wal):
    """The page numbers of the frames of the log's current generation, and its commits."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    at, pages, commits = 32, [], 0
    while at + 24 + page_size <= len(data):
        page, size_after = struct.unpack(">II", data[at:at + 8])
        if data[at + 8:at + 16] != salts:
            break
        pages.append(page)
        commits += size_after != 0
        at += 24 + page_size
    return pages, commits


def page_owners(db):
    """Each page's b-tree, and each b-tree's pages, from `dbstat`."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT pageno, name FROM dbstat").fetchall()
    return dict(rows), collections.Counter(name for _, name in rows)


if __name__ == "__main__":
    main()
