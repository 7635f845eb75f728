use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// Attached to an error: how it was understood and solved.
    Error,
    General,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every signed-in user of this Omegi can read it.
    Public,
    /// Only the author.
    Private,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Error => "error",
            NoteKind::General => "general",
        }
    }
    pub fn parse(s: &str) -> Option<NoteKind> {
        match s {
            "error" => Some(NoteKind::Error),
            "general" => Some(NoteKind::General),
            _ => None,
        }
    }
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// A note as listed: everything but the body.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoteSummary {
    pub id: i64,
    pub title: String,
    pub kind: NoteKind,
    pub visibility: Visibility,
    pub author_id: i64,
    pub author: String,
    pub error_id: Option<i64>,
    pub occurrence_id: Option<i64>,
    pub tags: Vec<String>,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Links from this note to notes the caller can see.
    pub link_count: i64,
    /// Notes the caller can see that link here.
    pub backlink_count: i64,
    pub comment_count: i64,
    /// For searches: the matching passage, HTML-escaped, matches in `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_html: Option<String>,
}

/// A linked note, as shown under "links" and "backlinks".
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoteRef {
    pub id: i64,
    pub title: String,
    pub author: String,
    pub visibility: Visibility,
    /// `manual`, or `wikilink` with the `[[label]]` written in the body.
    pub via: String,
    pub label: Option<String>,
}

/// A note with its body, links and backlinks.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Note {
    #[serde(flatten)]
    pub summary: NoteSummary,
    /// Markdown, stored as written.
    pub body: String,
    pub links: Vec<NoteRef>,
    pub backlinks: Vec<NoteRef>,
    /// `[[labels]]` in the body that open no note the caller can read.
    pub unresolved_links: Vec<String>,
    /// Each `[[label]]` of the body, in order, with the note it opens for the caller.
    pub wikilinks: Vec<WikiLink>,
    /// The tags written as `#tag` in the body (also in `tags`).
    pub inline_tags: Vec<String>,
}

impl Note {
    /// The tags given with the note, not written as `#tags` in its body: what an edit that
    /// leaves the tags alone keeps.
    pub fn given_tags(&self) -> Vec<String> {
        self.summary
            .tags
            .iter()
            .filter(|t| !self.inline_tags.contains(t))
            .cloned()
            .collect()
    }
}

/// A `[[label]]` of a note's body and the note it opens: the note it was linked to when
/// written, else the caller's readable note of that title; none when no such note exists
/// (following it creates the note).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WikiLink {
    pub label: String,
    pub id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Revision {
    pub revision: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    /// When this version was replaced by the next.
    pub saved_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comment {
    pub id: i64,
    pub note_id: i64,
    pub author_id: i64,
    pub author: String,
    /// Markdown.
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What a note may hold.
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 100_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 50;

/// Why a note cannot be stored: the field and the problem.
#[derive(Debug, PartialEq)]
pub struct NoteProblem {
    pub field: &'static str,
    pub problem: String,
}

/// A note's title, body and tags checked and tidied (title trimmed; tags normalised, without
/// duplicates). The `#tags` of the body count towards the tag limit.
pub fn tidy_note(
    title: &str,
    body: &str,
    tags: &[String],
) -> Result<(String, Vec<String>), NoteProblem> {
    let problem = |field, problem: String| NoteProblem { field, problem };
    let title = title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(problem(
            "title",
            format!("required, at most {MAX_TITLE} characters"),
        ));
    }
    if body.len() > MAX_BODY {
        return Err(problem("body", format!("at most {MAX_BODY} bytes")));
    }
    let mut tidy: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| normalize_tag(t)) {
        if tag.is_empty() || tag.chars().count() > MAX_TAG {
            return Err(problem(
                "tags",
                format!("each tag is 1 to {MAX_TAG} characters"),
            ));
        }
        if !tidy.contains(&tag) {
            tidy.push(tag);
        }
    }
    if tidy.len() > MAX_TAGS {
        return Err(problem("tags", format!("at most {MAX_TAGS} tags")));
    }
    let inline = inline_tags(body);
    if inline.iter().filter(|t| !tidy.contains(t)).count() + tidy.len() > MAX_TAGS {
        return Err(problem(
            "body",
            format!("at most {MAX_TAGS} tags, counting the #tags in the text"),
        ));
    }
    Ok((title, tidy))
}

/// A note that may explain an error, and why it was chosen.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// `this_error` (written on it), `root_cause` (on the error in another service that
    /// caused it, in the same trace), `similar` (on an error sharing its features) or
    /// `mentions` (a general note naming its exception type).
    pub reason: String,
    /// The reasons in words: "same type and 3 of 4 top frames".
    pub why: String,
    /// Each feature that matched.
    pub matched: Vec<MatchedFeature>,
    /// Higher is a better match; only comparable within one answer.
    pub score: f64,
    /// The error the note is on, when it is another error.
    pub error: Option<SuggestedError>,
    pub note: NoteSummary,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchedFeature {
    /// `fingerprint`, `type`, `message`, `frames`, `operation`, `route`, `call`,
    /// `same_trace` or `mention`.
    pub feature: String,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SuggestedError {
    pub id: i64,
    pub service: String,
    pub exception_type: String,
    pub message: String,
    pub status: String,
}

/// A comment on one of the user's notes, or an `@mention` of them in a comment.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// `comment` (on the user's note) or `mention` (`@username` in a comment).
    pub kind: String,
    pub note_id: i64,
    pub note_title: String,
    pub comment_id: i64,
    /// The comment's first 200 characters.
    pub excerpt: String,
    /// Who commented.
    pub actor: Option<String>,
    pub created_at: String,
    pub read: bool,
}

/// `@usernames` in a comment: `@` at the start or after a space, then a username's
/// characters; without duplicates, compared case-insensitively.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        if c == '@' && !(prev.is_alphanumeric() || matches!(prev, '.' | '_' | '-')) {
            let rest = &text[i + 1..];
            let end = rest
                .find(|u: char| !(u.is_ascii_alphanumeric() || matches!(u, '-' | '_' | '.')))
                .unwrap_or(rest.len());
            let name = rest[..end].trim_end_matches('.');
            if (2..=40).contains(&name.len()) && !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                out.push(name.to_string());
            }
        }
        prev = c;
    }
    out
}

/// `[[Title]]` labels in a Markdown body, in order, without duplicates. `[[Title|shown]]`
/// links to "Title".
pub fn wikilinks(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("[[") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("]]") else { break };
        let inner = &rest[..end];
        rest = &rest[end + 2..];
        let label = inner.split('|').next().unwrap_or("").trim();
        if !label.is_empty()
            && !label.contains('\n')
            && !out.iter().any(|l| l.eq_ignore_ascii_case(label))
        {
            out.push(label.to_string());
        }
    }
    out
}

/// `#tags` written in a Markdown body, as Obsidian reads them: `#` at the start of a line
/// or after a space, then letters, digits, `_`, `-` or `/`, not only digits. Code (fenced
/// blocks and `inline spans`) and headings (`# Title`) are not tags. Normalised, in order,
/// without duplicates.
pub fn inline_tags(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<&str> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if let Some(open) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) {
            fence = Some(open);
            continue;
        }
        let mut in_code = false;
        let mut prev = ' ';
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '`' {
                in_code = !in_code;
            } else if c == '#' && !in_code && prev.is_whitespace() {
                let rest = &line[i + 1..];
                let end = rest
                    .find(|t: char| !(t.is_alphanumeric() || matches!(t, '_' | '-' | '/')))
                    .unwrap_or(rest.len());
                let tag = rest[..end].trim_end_matches('/');
                if !tag.is_empty()
                    && tag.chars().count() <= MAX_TAG
                    && !tag.chars().all(|t| t.is_ascii_digit())
                {
                    let tag = normalize_tag(tag);
                    if !out.contains(&tag) {
                        out.push(tag);
                    }
                }
                while chars.peek().is_some_and(|(j, _)| *j <= i + end) {
                    chars.next();
                }
                prev = 'x';
                continue;
            }
            prev = c;
        }
    }
    out
}

/// The body with every `[[label]]` or `[[label|shown]]` whose label is one of `labels`
/// (compared case-insensitively) turned into its plain text: the link is gone, the words
/// stay.
pub fn unbracket(body: &str, labels: &[String]) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start + 2..].find("]]") else {
            break;
        };
        let inner = &rest[start + 2..start + 2 + len];
        let mut parts = inner.splitn(2, '|');
        let label = parts.next().unwrap_or("").trim();
        out.push_str(&rest[..start]);
        if !inner.contains('\n') && labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
            out.push_str(parts.next().map_or(label, str::trim));
        } else {
            out.push_str(&rest[start..start + 4 + len]);
        }
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    out
}

/// Tags are free-form but compared case-insensitively: kept trimmed and lower-case.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim().trim_start_matches('#').trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wikilinks_are_found_once_each() {
        assert_eq!(
            wikilinks(
                "See [[Pool sizing]] and [[ pool SIZING |here]], [[Retry budget]]. [[]] [[open"
            ),
            ["Pool sizing", "Retry budget"]
        );
    }

    #[test]
    fn inline_tags_skip_code_and_headings() {
        assert_eq!(
            inline_tags(
                "# Heading\nPool #Postgres and #ops/db, #42 not, a#b not.\n`#code` no\n```\n#fenced\n```\n#postgres again #retry-budget"
            ),
            ["postgres", "ops/db", "retry-budget"]
        );
    }

    #[test]
    fn unbracketing_keeps_the_words() {
        assert_eq!(
            unbracket(
                "See [[Pool sizing]], [[pool SIZING|the pool]] and [[Other]].",
                &["Pool sizing".into()]
            ),
            "See Pool sizing, the pool and [[Other]]."
        );
    }

    #[test]
    fn mentions_are_usernames_after_at() {
        assert_eq!(
            mentions("@bob see this, cc @Carol.d. mail x@y.z @bob"),
            ["bob", "Carol.d"]
        );
    }

    #[test]
    fn tags_compare_case_insensitively() {
        assert_eq!(normalize_tag("  #PostgreSQL "), "postgresql");
    }
}
