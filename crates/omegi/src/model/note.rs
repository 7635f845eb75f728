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
    /// `[[labels]]` in the body that match no note the author can link to.
    pub unresolved_links: Vec<String>,
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
    fn tags_compare_case_insensitively() {
        assert_eq!(normalize_tag("  #PostgreSQL "), "postgresql");
    }
}
