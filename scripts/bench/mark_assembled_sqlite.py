#!/usr/bin/env python3
"""What binding a batch as one JSON document costs SQLite, on the statement that marks traces
assembled (store/assembly.rs, `update_assembled`): the statement as Omegi writes it, reading
the batch's cells out of the document alone, and the same updates through one prepared
statement with bound values. A `traces` table of Omegi's shape (migration 15) and indexes,
WAL, synchronous = FULL. Python's own sqlite3 module may have an older SQLite than the one
Omegi builds in; `--module pysqlite3` (pip install pysqlite3-binary) brings a recent one
(docs/benchmarks.md, twelfth pass).

    python3 scripts/bench/mark_assembled_sqlite.py [--rows 300000] [--batch 280] [--rounds 40]
        [--module sqlite3]
"""

import argparse
import importlib
import json
import os
import tempfile
import time

SCHEMA = """
PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;
CREATE TABLE traces (
    id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL, trace_id TEXT NOT NULL,
    first_received_at BIGINT NOT NULL, last_received_at BIGINT NOT NULL,
    pending_since BIGINT NOT NULL, has_root BIGINT NOT NULL, version BIGINT NOT NULL,
    assembled_version BIGINT NOT NULL DEFAULT 0, claimed_until BIGINT NOT NULL DEFAULT 0,
    claims BIGINT NOT NULL DEFAULT 0, span_count BIGINT NOT NULL DEFAULT 0, start_ns BIGINT,
    end_ns BIGINT, root_service TEXT, root_name TEXT, error_count BIGINT NOT NULL DEFAULT 0,
    truncated TEXT, map_part TEXT, UNIQUE (project_id, trace_id));
CREATE INDEX traces_pending ON traces (pending_since) WHERE version > assembled_version;
CREATE INDEX traces_start ON traces (project_id, start_ns);
CREATE INDEX traces_received ON traces (last_received_at);
"""

# The loadgen's shop trace's part of the service map, as assembly stores it.
MAP_PART = {
    "b": 1,
    "e": [["gateway", "orders", 1, 0, [[3, 1, 0]]], ["orders", "inventory", 1, 0, [[2, 1, 0]]],
          ["orders", "payments", 1, 0, [[4, 1, 0]]], ["inventory", "db", 1, 0, [[1, 1, 0]]]],
    "s": [["gateway", 3, 1, 0], ["orders", 3, 1, 0], ["inventory", 2, 1, 0],
          ["payments", 2, 1, 0]],
}

AS_OMEGI = """
WITH batch AS MATERIALIZED (SELECT value FROM json_each(?1))
UPDATE traces SET assembled_version = a.version, claimed_until = 0,
  span_count = a.span_count, start_ns = a.start_ns, end_ns = a.end_ns,
  root_service = a.root_service, root_name = a.root_name, error_count = a.error_count,
  truncated = a.truncated, map_part = a.map_part
FROM (SELECT CAST(value ->> 0 AS BIGINT) AS id, CAST(value ->> 1 AS BIGINT) AS version,
             CAST(value ->> 2 AS BIGINT) AS span_count, CAST(value ->> 3 AS BIGINT) AS start_ns,
             CAST(value ->> 4 AS BIGINT) AS end_ns, value ->> 5 AS root_service,
             value ->> 6 AS root_name, CAST(value ->> 7 AS BIGINT) AS error_count,
             value ->> 8 AS truncated, value -> 9 AS map_part FROM batch) AS a
WHERE traces.id = a.id AND traces.assembled_version < a.version"""

CELLS_ONLY = """
WITH batch AS MATERIALIZED (SELECT value FROM json_each(?1))
SELECT count(*), sum(CAST(value ->> 0 AS BIGINT) + CAST(value ->> 1 AS BIGINT)
  + CAST(value ->> 2 AS BIGINT) + CAST(value ->> 3 AS BIGINT) + CAST(value ->> 4 AS BIGINT)
  + length(value ->> 5) + length(value ->> 6) + CAST(value ->> 7 AS BIGINT)
  + ifnull(length(value ->> 8), 0) + length(value -> 9)) FROM batch"""

BOUND = """
UPDATE traces SET assembled_version = ?, claimed_until = 0, span_count = ?, start_ns = ?,
  end_ns = ?, root_service = ?, root_name = ?, error_count = ?, truncated = ?, map_part = ?
WHERE id = ? AND assembled_version < 1"""


def rows_of(first, n):
    return [[i, 1, 10, i * 1000, i * 1000 + 5, "gateway", "GET /checkout", 0, None, MAP_PART]
            for i in range(first, first + n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000, help="traces in the table")
    ap.add_argument("--batch", type=int, default=280, help="traces marked a statement")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--module", default="sqlite3", help="the DB-API module: sqlite3 or pysqlite3")
    args = ap.parse_args()
    sqlite3 = importlib.import_module(args.module)
    with tempfile.TemporaryDirectory() as dir:
        db = sqlite3.connect(os.path.join(dir, "traces.db"), isolation_level=None)
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO traces (project_id, trace_id, first_received_at, last_received_at, "
            "pending_since, has_root, version) VALUES (1, ?, ?, ?, ?, 1, 1)",
            ((os.urandom(16).hex(), i, i, i) for i in range(args.rows)))
        db.execute("COMMIT")
        next_id = 1

        def timed(prepare, run):
            """Mean ms of `run` on what `prepare` made of a batch (not timed)."""
            nonlocal next_id
            spent = 0.0
            for _ in range(args.rounds):
                prepared = prepare(rows_of(next_id, args.batch))
                next_id += args.batch
                db.execute("BEGIN IMMEDIATE")
                started = time.perf_counter()
                run(prepared)
                spent += time.perf_counter() - started
                db.execute("COMMIT")
            return spent / args.rounds * 1000

        def bound(rows):
            return [(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.dumps(r[9]), r[0])
                    for r in rows]

        results = {}
        for _ in range(2):  # twice, in turn: the machine's speed drifts
            for name, prepare, run in [
                ("as_omegi_ms", json.dumps, lambda d: db.execute(AS_OMEGI, (d,))),
                ("json_cells_only_ms", json.dumps,
                 lambda d: db.execute(CELLS_ONLY, (d,)).fetchall()),
                ("bound_statement_ms", bound, lambda b: db.executemany(BOUND, b)),
            ]:
                results.setdefault(name, []).append(round(timed(prepare, run), 2))
        db.close()
    print(json.dumps({"sqlite": sqlite3.sqlite_version, "batch": args.batch,
                      **results}, indent=2))


if __name__ == "__main__":
    main()
