//! The SQL note queries are built from, in one place: who may see a note, the note-summary
//! select as structured parts, and full-text search, the one piece each back-end writes its
//! own way (SQLite FTS5, PostgreSQL `tsvector`).

/// Marks around matches in snippets; replaced by `<mark>` after HTML-escaping.
pub const MARK_START: char = '\u{27E6}';
pub const MARK_END: char = '\u{27E7}';

/// Whether the note at `alias` is visible to the viewer bound at `viewer`.
pub(super) fn visible(alias: &str, viewer: &str) -> String {
    format!("({alias}.visibility = 'public' OR {alias}.author_id = {viewer})")
}

/// A note-summary query as the viewer bound at `viewer` sees it, built from parts: the
/// optional snippet column, what it reads from, its conditions and its order.
pub(super) struct SummaryQuery {
    viewer: String,
    snippet: Option<String>,
    from: String,
    conditions: Vec<String>,
    pub order: String,
}

impl SummaryQuery {
    pub fn new(viewer: &str) -> SummaryQuery {
        SummaryQuery {
            viewer: viewer.to_string(),
            snippet: None,
            from: "notes n".into(),
            conditions: Vec::new(),
            order: "n.updated_at DESC, n.id DESC".into(),
        }
    }

    /// Adds a condition on `n` (and `u`, the author).
    pub fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// Restricts to notes matching a full-text search, ranked by it, with a snippet.
    pub fn text_match(&mut self, m: TextMatch) {
        self.snippet = Some(m.snippet);
        self.from = m.from;
        self.conditions.push(m.condition);
        self.order = m.order;
    }

    /// `SELECT … WHERE …` without order: more conditions may be appended with ` AND …`.
    pub fn select(&self) -> String {
        let v = &self.viewer;
        let snippet = self
            .snippet
            .as_deref()
            .map(|s| format!("{s} AS snippet, "))
            .unwrap_or_default();
        let mut sql = format!(
            "SELECT {snippet}n.id, n.title, n.kind, n.visibility, n.author_id, u.username AS author, \
             n.error_id, n.occurrence_id, n.revision, n.created_at, n.updated_at, \
             (SELECT COUNT(DISTINCT l.target_id) FROM note_links l JOIN notes t ON t.id = l.target_id \
              WHERE l.source_id = n.id AND {tv}) AS link_count, \
             (SELECT COUNT(DISTINCT l.source_id) FROM note_links l JOIN notes s ON s.id = l.source_id \
              WHERE l.target_id = n.id AND {sv}) AS backlink_count, \
             (SELECT COUNT(*) FROM note_comments c WHERE c.note_id = n.id) AS comment_count \
             FROM {from} JOIN users u ON u.id = n.author_id WHERE {nv}",
            tv = visible("t", v),
            sv = visible("s", v),
            nv = visible("n", v),
            from = self.from,
        );
        for c in &self.conditions {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        sql
    }
}

/// The summary select with no further parts (callers append ` AND …`).
pub(super) fn summary_select(viewer: &str) -> String {
    SummaryQuery::new(viewer).select()
}

/// What a full-text search adds to a summary query.
pub(super) struct TextMatch {
    snippet: String,
    from: String,
    condition: String,
    order: String,
}

/// SQLite: the FTS5 table `notes_fts` (title weighted 10 to the body's 1), `m` the bound
/// FTS5 query.
pub(super) fn sqlite_text_match(m: &str) -> TextMatch {
    TextMatch {
        snippet: format!("snippet(notes_fts, -1, '{MARK_START}', '{MARK_END}', '…', 16)"),
        from: "notes_fts JOIN notes n ON n.id = notes_fts.rowid".into(),
        condition: format!("notes_fts MATCH {m}"),
        order: "bm25(notes_fts, 10.0, 1.0), n.id".into(),
    }
}

/// PostgreSQL: the generated `search` column (title weighted A, body B), `tsq` a tsquery.
pub(super) fn postgres_text_match(tsq: &str) -> TextMatch {
    TextMatch {
        snippet: format!(
            "ts_headline('simple', n.title || ' — ' || n.body, {tsq}, \
             'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12')"
        ),
        from: "notes n".into(),
        condition: format!("n.search @@ {tsq}"),
        order: format!("ts_rank(n.search, {tsq}) DESC, n.id"),
    }
}

/// HTML-escapes a snippet and turns the match marks into `<mark>` elements.
pub fn mark_html(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 16);
    for c in snippet.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}
