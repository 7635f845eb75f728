//! The span tree of one trace. Spans whose parent never arrived are kept and hung under the
//! root, so a trace with lost spans still reads top to bottom.

use std::collections::HashMap;

use crate::model::SpanRecord;

pub struct TraceTree {
    /// Spans ordered by start time.
    pub spans: Vec<SpanRecord>,
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    /// Top-level spans: the root, or several when no root arrived.
    pub roots: Vec<usize>,
}

impl TraceTree {
    pub fn build(mut spans: Vec<SpanRecord>) -> TraceTree {
        spans.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then(a.span_id.cmp(&b.span_id)));
        let index: HashMap<&str, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_str(), i))
            .collect();
        let root = spans.iter().position(SpanRecord::is_root);
        let mut parent = vec![None; spans.len()];
        let mut roots = Vec::new();
        for (i, span) in spans.iter().enumerate() {
            let p = match &span.parent_span_id {
                Some(pid) => index
                    .get(pid.as_str())
                    .copied()
                    .or(root)
                    .filter(|p| *p != i),
                None => None,
            };
            match p {
                Some(p) => parent[i] = Some(p),
                None => roots.push(i),
            }
        }
        // A span that is its own ancestor (ids reused by a broken client) becomes a root.
        for i in 0..spans.len() {
            let mut seen = 0;
            let mut at = parent[i];
            while let Some(p) = at {
                seen += 1;
                if seen > spans.len() {
                    parent[i] = None;
                    roots.push(i);
                    break;
                }
                at = parent[p];
            }
        }
        let mut children = vec![Vec::new(); spans.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        TraceTree {
            spans,
            parent,
            children,
            roots,
        }
    }

    /// Indices from the top-level span down to `i`, inclusive.
    pub fn path_to(&self, i: usize) -> Vec<usize> {
        let mut path = vec![i];
        let mut at = self.parent[i];
        while let Some(p) = at {
            path.push(p);
            at = self.parent[p];
        }
        path.reverse();
        path
    }

    /// Whether `ancestor` is above `i` in the tree.
    pub fn is_ancestor(&self, ancestor: usize, i: usize) -> bool {
        let mut at = self.parent[i];
        while let Some(p) = at {
            if p == ancestor {
                return true;
            }
            at = self.parent[p];
        }
        false
    }

    /// The span that started the trace: the true root if it arrived, else the earliest.
    pub fn root(&self) -> Option<&SpanRecord> {
        self.spans
            .iter()
            .find(|s| s.is_root())
            .or_else(|| self.roots.first().map(|&i| &self.spans[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanRecord;

    pub fn span(id: &str, parent: Option<&str>, start: i64) -> SpanRecord {
        SpanRecord {
            project_id: 1,
            trace_id: "t".into(),
            span_id: id.into(),
            parent_span_id: parent.map(Into::into),
            service: "svc".into(),
            name: id.into(),
            kind: "internal".into(),
            start_ns: start,
            end_ns: start + 10,
            status_code: 0,
            status_message: String::new(),
            attributes: Default::default(),
            events: vec![],
            resource: Default::default(),
        }
    }

    #[test]
    fn orphans_hang_under_the_root() {
        let t = TraceTree::build(vec![
            span("c", Some("b"), 3),
            span("a", None, 1),
            span("x", Some("missing"), 2),
            span("b", Some("a"), 2),
        ]);
        assert_eq!(t.roots.len(), 1);
        let name = |i: usize| t.spans[i].span_id.as_str();
        let path: Vec<_> = t
            .path_to(t.spans.iter().position(|s| s.span_id == "c").unwrap())
            .into_iter()
            .map(name)
            .collect();
        assert_eq!(path, ["a", "b", "c"]);
        let x = t.spans.iter().position(|s| s.span_id == "x").unwrap();
        assert_eq!(t.parent[x].map(name), Some("a"));
    }

    #[test]
    fn without_a_root_every_orphan_is_top_level() {
        let t = TraceTree::build(vec![span("b", Some("a"), 2), span("c", Some("b"), 3)]);
        assert_eq!(t.roots.len(), 1);
        assert_eq!(t.root().unwrap().span_id, "b");
    }
}
