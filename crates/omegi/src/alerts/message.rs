//! What an alert says, gathered from storage: the error (type, message, service,
//! environment, count, first and last seen), the numbered flow that ends at the cause, a
//! link to the error page, and the knowledge base's answer — the notes on this error, or else
//! the best "solved before?" note, and on a regression who resolved it, when, and their note.
//! This is also the JSON body of a generic webhook; Slack, Discord, Teams and email render it.
//! Only public notes are quoted: a channel's readers are not all of Omegi's users.

use serde::Serialize;
use utoipa::ToSchema;

use crate::knowledge::suggest;
pub use crate::model::clip_chars as clip;
use crate::model::rfc3339;
use crate::store::{AlertSubject, DeliveryRow, NoteScope, QuotedNote, Result, Store, StoreError};

/// The body of a generic webhook: one alert, a digest of several, or a test.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertBody {
    /// Also sent as `X-Omegi-Delivery`; the same on every retry, so a receiver can drop
    /// duplicates.
    pub delivery_id: String,
    /// `alert` (one error), `digest` (several at once) or `test`.
    pub kind: String,
    pub project: ProjectRef,
    /// One line a person can read in a notification.
    pub text: String,
    /// The alerts, one per error (a digest spells out the first five errors).
    pub alerts: Vec<AlertItem>,
    /// Errors of a digest not spelled out in `alerts`.
    pub omitted: usize,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectRef {
    pub id: i64,
    pub name: String,
}

/// One alert: the rule that fired, the error, its flow and what the knowledge base knows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertItem {
    pub rule: String,
    /// `new`, `regression`, `spike`, `service_red` or `occurrence`.
    pub trigger: String,
    /// What the trigger saw: a spike's `count` and `minutes`, the `service` that turned red.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub error: ErrorFacts,
    /// `1. service: operation`, from the request's entry to the failing span.
    pub flow: Vec<String>,
    pub knowledge: Knowledge,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorFacts {
    pub id: i64,
    /// The error page.
    pub url: String,
    pub exception_type: String,
    pub message: String,
    pub service: String,
    pub environment: Option<String>,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub status: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Knowledge {
    /// Public notes written on this error, newest first.
    pub notes: Vec<NoteQuote>,
    /// When this error has no note: the best note on another error like it.
    pub solved_before: Option<NoteQuote>,
    /// On a regression: who resolved the error last, when, and their note.
    pub resolution: Option<Resolution>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoteQuote {
    pub id: i64,
    pub title: String,
    /// The note's first lines.
    pub excerpt: String,
    pub author: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = AlertResolution)]
pub struct Resolution {
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    /// The release the fix shipped in.
    pub release: Option<String>,
    /// The resolution note, else the resolver's public note on the error.
    pub note: Option<NoteQuote>,
}

/// Lines and characters of a note quoted in an alert.
const EXCERPT_LINES: usize = 3;
const EXCERPT_CHARS: usize = 280;

/// Builds alert items against one store and public address.
pub struct Gather<'a> {
    pub store: &'a Store,
    pub public_url: &'a str,
}

impl Gather<'_> {
    /// The alert an outbox row stands for; `NotFound` when its error is gone.
    pub async fn item(&self, row: &DeliveryRow) -> Result<AlertItem> {
        let error = row.error_id.ok_or(StoreError::NotFound)?;
        let subject = self.store.alert_subject(error).await?;
        let occurrence = self.store.latest_occurrence(error).await.ok();
        let (flow, environment) = match &occurrence {
            Some(o) => (o.summary.flow.clone(), o.summary.deployment_environment()),
            None => (Vec::new(), None),
        };
        let knowledge = self
            .knowledge(&subject, row.fires_on == "regression")
            .await?;
        Ok(AlertItem {
            rule: row.rule_name.clone(),
            trigger: row.fires_on.clone(),
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            error: ErrorFacts {
                id: subject.id,
                url: format!("{}/errors/{}", self.public_url, subject.id),
                exception_type: subject.exception_type,
                message: subject.message,
                service: subject.service,
                environment,
                count: subject.occurrence_count,
                first_seen: rfc3339(subject.first_seen),
                last_seen: rfc3339(subject.last_seen),
                status: subject.status,
            },
            flow,
            knowledge,
        })
    }

    async fn knowledge(&self, s: &AlertSubject, regression: bool) -> Result<Knowledge> {
        let own = self.store.public_notes_on(s.id, 3).await?;
        let resolution = if regression {
            let written_with = match s.resolution_note_id {
                Some(id) => self.store.public_note(id).await?,
                None => None,
            };
            let note = written_with.or_else(|| {
                own.iter()
                    .find(|n| Some(n.author_id) == s.resolved_by_id)
                    .cloned()
            });
            Some(Resolution {
                resolved_by: s.resolved_by.clone(),
                resolved_at: s.resolved_at.map(rfc3339),
                release: s.resolved_in.clone(),
                note: note.map(|n| self.quote(&n)),
            })
        } else {
            None
        };
        let solved_before = if own.is_empty() {
            self.solved_before(s).await?.map(|n| self.quote(&n))
        } else {
            None
        };
        Ok(Knowledge {
            notes: own.iter().map(|n| self.quote(n)).collect(),
            solved_before,
            resolution,
        })
    }

    /// The best public note of the project that may explain the error: the first
    /// "solved before?" suggestion (viewer 0 is nobody, so public notes only).
    async fn solved_before(&self, s: &AlertSubject) -> Result<Option<QuotedNote>> {
        let scope = NoteScope {
            viewer: 0,
            project: Some(s.project_id),
        };
        let best = suggest::suggestions(self.store, scope, s.id)
            .await?
            .into_iter()
            .find(|n| n.reason != "this_error");
        match best {
            Some(n) => self.store.public_note(n.note.id).await,
            None => Ok(None),
        }
    }

    fn quote(&self, n: &QuotedNote) -> NoteQuote {
        NoteQuote {
            id: n.id,
            title: n.title.clone(),
            excerpt: excerpt(&n.body),
            author: n.author.clone(),
            url: format!("{}/notes/{}", self.public_url, n.id),
        }
    }
}

/// The first lines of a Markdown body, shortened.
fn excerpt(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(EXCERPT_LINES)
        .collect();
    clip(&lines.join("\n"), EXCERPT_CHARS)
}

/// One line for an item: "Regression: OutOfStock in inventory — sku 42 is sold out".
pub fn headline(item: &AlertItem) -> String {
    let what = crate::model::Trigger::parse(&item.trigger)
        .map(|t| t.headline())
        .unwrap_or("Alert");
    format!(
        "{what}: {} in {} — {}",
        item.error.exception_type,
        item.error.service,
        first_line(&item.error.message)
    )
}

/// The first line of a message, at most 200 characters.
pub fn first_line(s: &str) -> String {
    clip(s.lines().next().unwrap_or_default(), 200)
}

/// What the trigger saw, in words: "12 occurrences in 5 min", "payments turned red".
pub fn trigger_note(item: &AlertItem) -> Option<String> {
    match item.trigger.as_str() {
        "spike" => Some(format!(
            "{} occurrences in {} min",
            item.detail["count"].as_i64().unwrap_or_default(),
            item.detail["minutes"].as_i64().unwrap_or_default()
        )),
        "service_red" => Some(format!(
            "{} has its first unresolved error",
            item.detail["service"]
                .as_str()
                .unwrap_or(&item.error.service)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_the_first_three_lines_shortened() {
        let body = "# Pool\n\nThe pool was too small.\nWe raised it to 50.\nThen deployed.\n";
        assert_eq!(
            excerpt(body),
            "# Pool\nThe pool was too small.\nWe raised it to 50."
        );
        let long = "x".repeat(400);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS);
    }
}
