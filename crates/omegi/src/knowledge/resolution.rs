//! The resolution note: what a user says when resolving an error (the cause, the fix with an
//! optional link to its commit or pull request, and the release it shipped in), written as
//! an error note so that it is searched, linked and suggested like any other.

use crate::model::{tidy_note, NoteKind, Visibility};
use crate::store::{NoteInput, ResolutionInput};

/// The tag every resolution note carries.
pub const TAG: &str = "resolution";
const MAX_TEXT: usize = 20_000;
const MAX_RELEASE: usize = 100;
const MAX_LINK: usize = 2_000;

/// What the user tells when resolving.
pub struct Told {
    pub cause: String,
    pub fix: String,
    pub fix_link: Option<String>,
    pub release: Option<String>,
    pub visibility: Visibility,
}

/// The error being resolved, as the note's title names it.
pub struct Resolved<'a> {
    pub id: i64,
    pub exception_type: &'a str,
    pub service: &'a str,
}

/// Why a resolution cannot be stored: the field and the problem.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub field: &'static str,
    pub problem: String,
}

fn problem(field: &'static str, problem: impl Into<String>) -> Problem {
    Problem {
        field,
        problem: problem.into(),
    }
}

impl Told {
    /// Checks and tidies what was told: a cause or a fix is needed; the link must be an
    /// http(s) URL; the release is short.
    pub fn checked(mut self) -> Result<Told, Problem> {
        self.cause = self.cause.trim().to_string();
        self.fix = self.fix.trim().to_string();
        if self.cause.is_empty() && self.fix.is_empty() {
            return Err(problem("resolution", "tell the cause, the fix, or both"));
        }
        if self.cause.len() > MAX_TEXT || self.fix.len() > MAX_TEXT {
            return Err(problem(
                "resolution",
                format!("cause and fix are at most {MAX_TEXT} bytes each"),
            ));
        }
        self.fix_link = self
            .fix_link
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());
        if let Some(link) = &self.fix_link {
            let ok = url::Url::parse(link)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok || link.len() > MAX_LINK {
                return Err(problem(
                    "fix_link",
                    "must be an http(s) URL, such as the commit or pull request",
                ));
            }
        }
        self.release = self
            .release
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if self
            .release
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_RELEASE)
        {
            return Err(problem(
                "release",
                format!("at most {MAX_RELEASE} characters"),
            ));
        }
        Ok(self)
    }

    /// What resolving stores: the release, and the note, checked as every note is (the
    /// `#tags` of the cause and fix count towards the tag limit).
    pub fn resolution(self, error: &Resolved<'_>) -> Result<ResolutionInput, Problem> {
        let told = self.checked()?;
        let note = told.note(error);
        tidy_note(&note.title, &note.body, &note.tags).map_err(|p| {
            problem(
                "resolution",
                format!("the note's {}: {}", p.field, p.problem),
            )
        })?;
        Ok(ResolutionInput {
            note: Some(note),
            release: told.release,
        })
    }

    /// The error note it becomes.
    pub fn note(&self, error: &Resolved<'_>) -> NoteInput {
        let title = crate::model::clip_chars(
            &format!("Resolved: {} in {}", error.exception_type, error.service),
            crate::model::MAX_TITLE,
        );
        NoteInput {
            title,
            body: self.body(),
            kind: NoteKind::Error,
            error_id: Some(error.id),
            occurrence_id: None,
            tags: vec![TAG.to_string()],
            visibility: self.visibility,
        }
    }

    fn body(&self) -> String {
        let mut parts = Vec::new();
        if !self.cause.is_empty() {
            parts.push(format!("## Cause\n\n{}", self.cause));
        }
        if !self.fix.is_empty() || self.fix_link.is_some() {
            let mut fix = format!("## Fix\n\n{}", self.fix);
            if let Some(link) = &self.fix_link {
                fix.push_str(&format!("\n\nCommit or pull request: <{link}>"));
            }
            parts.push(fix.replace("\n\n\n\n", "\n\n"));
        }
        if let Some(release) = &self.release {
            parts.push(format!("Shipped in release `{release}`."));
        }
        parts.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(link: Option<&str>) -> Told {
        Told {
            cause: " The pool was too small ".into(),
            fix: "Raised it to 20.".into(),
            fix_link: link.map(str::to_string),
            release: Some("1.4.2".into()),
            visibility: Visibility::Public,
        }
    }

    #[test]
    fn a_resolution_becomes_an_error_note() {
        let t = told(Some("https://git.example/shop/pull/7"))
            .checked()
            .unwrap();
        let note = t.note(&Resolved {
            id: 3,
            exception_type: "PoolTimeout",
            service: "orders",
        });
        assert_eq!(note.title, "Resolved: PoolTimeout in orders");
        assert_eq!(
            note.body,
            "## Cause\n\nThe pool was too small\n\n## Fix\n\nRaised it to 20.\n\nCommit or pull request: <https://git.example/shop/pull/7>\n\nShipped in release `1.4.2`."
        );
        assert_eq!(note.error_id, Some(3));
    }

    #[test]
    fn a_script_link_is_refused() {
        let p = told(Some("javascript:alert(1)")).checked().err().unwrap();
        assert_eq!(p.field, "fix_link");
    }
}
