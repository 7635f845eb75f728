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
    /// Every span once, depth first (each parent before its children, children by start).
    pub preorder: Vec<usize>,
    /// Where span i's subtree begins and ends in `preorder`: ancestry in constant time.
    enter: Vec<usize>,
    exit: Vec<usize>,
}

impl TraceTree {
    /// Builds the tree in time linear in the spans (after sorting them), whatever its shape:
    /// a 40,000-span chain costs what 40,000 siblings cost.
    pub fn build(mut spans: Vec<SpanRecord>) -> TraceTree {
        spans.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then(a.span_id.cmp(&b.span_id)));
        let index: HashMap<&str, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_str(), i))
            .collect();
        let root = spans.iter().position(SpanRecord::is_root);
        let mut parent: Vec<Option<usize>> = spans
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let pid = span.parent_span_id.as_deref()?;
                index.get(pid).copied().or(root).filter(|p| *p != i)
            })
            .collect();
        let mut children = vec![Vec::new(); spans.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let mut roots: Vec<usize> = (0..spans.len()).filter(|&i| parent[i].is_none()).collect();
        let mut walk = Walk::new(spans.len());
        for &r in &roots {
            walk.visit(r, &children);
        }
        // What no walk reached hangs in a cycle (ids reused by a broken client): the earliest
        // span of each cycle becomes a root, which breaks it. (Indexed: the loop body changes
        // `parent` and `children` as it goes.)
        #[allow(clippy::needless_range_loop)]
        for i in 0..spans.len() {
            if walk.enter[i] == usize::MAX {
                if let Some(p) = parent[i].take() {
                    children[p].retain(|&c| c != i);
                }
                roots.push(i);
                walk.visit(i, &children);
            }
        }
        TraceTree {
            spans,
            parent,
            children,
            roots,
            preorder: walk.order,
            enter: walk.enter,
            exit: walk.exit,
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
        ancestor != i
            && self.enter[ancestor] <= self.enter[i]
            && self.exit[i] <= self.exit[ancestor]
    }

    /// The span that started the trace: the true root if it arrived, else the earliest.
    pub fn root(&self) -> Option<&SpanRecord> {
        self.spans
            .iter()
            .find(|s| s.is_root())
            .or_else(|| self.roots.first().map(|&i| &self.spans[i]))
    }
}

/// An iterative depth-first walk (no recursion: a chain may be tens of thousands deep).
struct Walk {
    order: Vec<usize>,
    enter: Vec<usize>,
    exit: Vec<usize>,
}

impl Walk {
    fn new(n: usize) -> Walk {
        Walk {
            order: Vec::with_capacity(n),
            enter: vec![usize::MAX; n],
            exit: vec![usize::MAX; n],
        }
    }

    fn visit(&mut self, top: usize, children: &[Vec<usize>]) {
        let mut stack = vec![(top, 0usize)];
        self.enter[top] = self.order.len();
        self.order.push(top);
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&c) = children[node].get(*next) {
                *next += 1;
                self.enter[c] = self.order.len();
                self.order.push(c);
                stack.push((c, 0));
            } else {
                self.exit[node] = self.order.len();
                stack.pop();
            }
        }
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
    fn a_cycle_of_parent_ids_is_broken_at_its_earliest_span() {
        let t = TraceTree::build(vec![
            span("a", None, 1),
            span("x", Some("z"), 2),
            span("y", Some("x"), 3),
            span("z", Some("y"), 4),
        ]);
        let x = t.spans.iter().position(|s| s.span_id == "x").unwrap();
        let z = t.spans.iter().position(|s| s.span_id == "z").unwrap();
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.parent[x], None);
        assert!(t.is_ancestor(x, z) && !t.is_ancestor(z, x));
        assert_eq!(t.preorder.len(), 4);
    }

    #[test]
    fn ancestry_and_order_hold_in_a_chain_deeper_than_any_stack() {
        let n = 100_000;
        let spans = (0..n)
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                span(&format!("s{i}"), parent.as_deref(), i as i64)
            })
            .collect();
        let t = TraceTree::build(spans);
        assert_eq!(t.path_to(n - 1).len(), n);
        assert!(t.is_ancestor(0, n - 1) && !t.is_ancestor(n - 1, 0));
        assert!(!t.is_ancestor(5, 5));
        assert_eq!(t.preorder, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn without_a_root_every_orphan_is_top_level() {
        let t = TraceTree::build(vec![span("b", Some("a"), 2), span("c", Some("b"), 3)]);
        assert_eq!(t.roots.len(), 1);
        assert_eq!(t.root().unwrap().span_id, "b");
    }
}
