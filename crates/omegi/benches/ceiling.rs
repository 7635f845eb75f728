//! The machine's ceiling on the load generator's payload, one thread each: decoding OTLP
//! protobuf (prost alone, and on to Omegi's span records), and storing span rows in SQLite
//! the fastest way it knows (WAL, synchronous=FULL, 1,000 rows a commit, one prepared
//! statement through rusqlite, the same table and key as Omegi's). End-to-end figures in
//! docs/benchmarks.md are given as fractions of these. Prints one JSON object.
//!
//! `cargo bench -p omegi --bench ceiling`

use std::time::Instant;

use omegi::ingest::decode;
use omegi::loadgen::shop::{Failure, Shape, Shop};
use omegi::store::TokenOwner;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const EXPORTS: usize = 400;
const TRACES_PER_EXPORT: usize = 50;
const ROWS_PER_COMMIT: usize = 1000;

fn main() {
    // The loadgen's defaults: 10 spans a trace through 4 services, 5% failing.
    let shop = Shop::new(
        Shape {
            spans_per_trace: 10,
            services: 4,
        },
        None,
    );
    let mut rng = StdRng::seed_from_u64(14);
    let mut dice = StdRng::seed_from_u64(15);
    let bodies: Vec<Vec<u8>> = (0..EXPORTS)
        .map(|_| {
            let (export, _) = shop.export(&mut rng, TRACES_PER_EXPORT, |_| {
                dice.gen_bool(0.05)
                    .then(|| Failure::Kind(dice.gen_range(0..4)))
            });
            export.encode_to_vec()
        })
        .collect();
    let spans = EXPORTS * TRACES_PER_EXPORT * 10;
    let bytes: usize = bodies.iter().map(Vec::len).sum();

    let best = |f: &mut dyn FnMut()| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let prost = best(&mut || {
        for b in &bodies {
            std::hint::black_box(ExportTraceServiceRequest::decode(b.as_slice()).unwrap());
        }
    });
    let owner = TokenOwner {
        token_id: 1,
        project_id: 1,
        service_id: 1,
        service_name: "gateway".into(),
    };
    let to_records = best(&mut || {
        for b in &bodies {
            let request = ExportTraceServiceRequest::decode(b.as_slice()).unwrap();
            std::hint::black_box(decode::spans(&owner, request));
        }
    });

    // Rows as Omegi stores them (JSON columns serialised, resource by digest), made before
    // the clock starts: this measures SQLite alone.
    let rows: Vec<Row> = bodies
        .iter()
        .flat_map(|b| {
            decode::spans(
                &owner,
                ExportTraceServiceRequest::decode(b.as_slice()).unwrap(),
            )
            .spans
        })
        .map(|s| Row {
            trace_id: s.trace_id,
            span_id: s.span_id,
            parent: s.parent_span_id,
            service: s.service,
            name: s.name,
            kind: s.kind,
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            status: s.status_code,
            message: s.status_message,
            attributes: serde_json::to_string(&s.attributes).unwrap(),
            events: serde_json::to_string(&s.events).unwrap(),
        })
        .collect();
    let store = best(&mut || store_rows(&rows));

    println!(
        "{}",
        serde_json::json!({
            "spans": spans,
            "protobuf_bytes_per_span": bytes / spans,
            "decode_protobuf_spans_per_sec": (spans as f64 / prost).round(),
            "decode_to_span_records_per_sec": (spans as f64 / to_records).round(),
            "store_sqlite_rows_per_sec": (rows.len() as f64 / store).round(),
        })
    );
}

struct Row {
    trace_id: String,
    span_id: String,
    parent: Option<String>,
    service: String,
    name: String,
    kind: String,
    start_ns: i64,
    end_ns: i64,
    status: i64,
    message: String,
    attributes: String,
    events: String,
}

fn store_rows(rows: &[Row]) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = rusqlite::Connection::open(dir.path().join("ceiling.db")).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE spans (id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL, \
           trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, \
           service TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, \
           start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL, status_code BIGINT NOT NULL, \
           status_message TEXT NOT NULL, attributes TEXT NOT NULL, events TEXT NOT NULL, \
           resource TEXT NOT NULL, received_at BIGINT NOT NULL, resource_digest TEXT); \
         CREATE UNIQUE INDEX spans_key ON spans (project_id, trace_id, span_id);",
    )
    .unwrap();
    for chunk in rows.chunks(ROWS_PER_COMMIT) {
        let tx = db.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, service, \
                     name, kind, start_ns, end_ns, status_code, status_message, attributes, \
                     events, resource, received_at, resource_digest) \
                     VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '{}', 0, \
                     'd41d8cd98f00b204e9800998ecf8427e') \
                     ON CONFLICT (project_id, trace_id, span_id) DO NOTHING",
                )
                .unwrap();
            for r in chunk {
                insert
                    .execute(rusqlite::params![
                        r.trace_id,
                        r.span_id,
                        r.parent,
                        r.service,
                        r.name,
                        r.kind,
                        r.start_ns,
                        r.end_ns,
                        r.status,
                        r.message,
                        r.attributes,
                        r.events
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
}
