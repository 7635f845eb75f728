//! Assembly time of one trace by shape and size: deep chains where every span fails and
//! throws (the shape that used to take quadratic-to-cubic time), and wide traces.
//!
//! `cargo bench -p omegi --bench assembly`

use std::time::Instant;

use omegi::model::{SpanEvent, SpanRecord, STATUS_ERROR};
use omegi::pipeline::assembly::assemble;
use serde_json::{Map, Value};

fn span(i: usize, parent: Option<usize>) -> SpanRecord {
    let mut attributes = Map::new();
    attributes.insert("exception.type".into(), Value::from("Boom"));
    attributes.insert(
        "exception.message".into(),
        Value::from(format!("failure {i}")),
    );
    attributes.insert(
        "exception.stacktrace".into(),
        Value::from("Traceback (most recent call last):\n  File \"app.py\", line 3, in f\nBoom"),
    );
    SpanRecord {
        project_id: 1,
        trace_id: "ab".repeat(16),
        span_id: format!("{i:016x}"),
        parent_span_id: parent.map(|p| format!("{p:016x}")),
        service: format!("svc-{}", i % 5),
        name: format!("op-{i}"),
        kind: "internal".into(),
        start_ns: i as i64 * 1_000,
        end_ns: i as i64 * 1_000 + 500,
        status_code: STATUS_ERROR,
        status_message: "failed".into(),
        attributes: Map::new(),
        events: vec![SpanEvent {
            name: "exception".into(),
            time_ns: i as i64 * 1_000 + 500,
            attributes,
        }],
        resource: Default::default(),
    }
}

fn chain(n: usize) -> Vec<SpanRecord> {
    (0..n).map(|i| span(i, i.checked_sub(1))).collect()
}

fn wide(n: usize) -> Vec<SpanRecord> {
    let mut spans = vec![span(0, None)];
    spans.extend((1..n).map(|i| span(i, Some(0))));
    spans
}

/// A trace shape: its name and how to build it with n spans.
type Shape = (&'static str, fn(usize) -> Vec<SpanRecord>, usize);

fn main() {
    println!("| trace | spans | assembly, best of 5 | occurrences | truncated |");
    println!("| --- | ---: | ---: | ---: | --- |");
    let shapes: [Shape; 5] = [
        ("chain, every span throws", chain, 2_000),
        ("chain, every span throws", chain, 5_000),
        ("chain, every span throws", chain, 40_000),
        ("wide: root + children that throw", wide, 5_000),
        ("wide: root + children that throw", wide, 40_000),
    ];
    for (name, build, n) in shapes {
        let mut best = f64::MAX;
        let mut last = None;
        for _ in 0..5 {
            let spans = build(n);
            let started = Instant::now();
            let a = assemble(spans, n);
            best = best.min(started.elapsed().as_secs_f64());
            last = Some(a);
        }
        let a = last.unwrap();
        println!(
            "| {name} | {n} | {:.1} ms | {} | {} |",
            best * 1e3,
            a.occurrences.len(),
            a.truncated.as_deref().unwrap_or("no")
        );
    }
}
