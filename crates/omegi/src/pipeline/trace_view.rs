//! The waterfall view of a trace, with the failing path of an occurrence marked.

use super::tree::TraceTree;
use crate::model::{SpanRecord, SpanView, TraceView, STATUS_ERROR, STATUS_OK};

/// Spans in depth-first order (children by start time), `failing` and its ancestors marked.
/// `spans` are the earliest of the `stored` spans of the trace; a view of fewer says so.
pub fn trace_view(
    project_id: i64,
    trace_id: &str,
    spans: Vec<SpanRecord>,
    stored: usize,
    failing: Option<&str>,
) -> TraceView {
    let tree = TraceTree::build(spans);
    let shown = tree.spans.len();
    let truncated =
        (stored > shown).then(|| format!("showing the earliest {shown} of its {stored} spans"));
    let start_ns = tree.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end_ns = tree
        .spans
        .iter()
        .map(|s| s.end_ns)
        .max()
        .unwrap_or(start_ns);
    let failing = failing.and_then(|id| tree.spans.iter().position(|s| s.span_id == id));
    // Parents come before their children in `preorder`, so a child's depth is known.
    let mut depth = vec![0; tree.spans.len()];
    for &i in &tree.preorder {
        if let Some(p) = tree.parent[i] {
            depth[i] = depth[p] + 1;
        }
    }
    let mut services: Vec<String> = Vec::new();
    for s in &tree.spans {
        if !services.contains(&s.service) {
            services.push(s.service.clone());
        }
    }
    let spans = tree
        .preorder
        .iter()
        .map(|&i| {
            let s = &tree.spans[i];
            let is_failing = failing == Some(i);
            SpanView {
                span_id: s.span_id.clone(),
                parent_span_id: s.parent_span_id.clone(),
                depth: depth[i],
                service: s.service.clone(),
                name: s.name.clone(),
                kind: s.kind.clone(),
                offset_us: (s.start_ns - start_ns) / 1000,
                duration_us: s.duration_ns() / 1000,
                status: match s.status_code {
                    STATUS_ERROR => "error",
                    STATUS_OK => "ok",
                    _ => "unset",
                }
                .to_string(),
                status_message: s.status_message.clone(),
                attributes: s.attributes.clone(),
                events: s.events.clone(),
                on_failing_path: is_failing || failing.is_some_and(|f| tree.is_ancestor(i, f)),
                failing: is_failing,
            }
        })
        .collect();
    TraceView {
        trace_id: trace_id.to_string(),
        project_id,
        start_ns,
        duration_us: (end_ns - start_ns).max(0) / 1000,
        span_count: stored.max(shown),
        truncated,
        services,
        spans,
    }
}
