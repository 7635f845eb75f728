//! "Solved before?": the notes that may explain an error, ranked on what its error shares
//! with theirs, each with the reasons it was chosen. A note on the error that caused this
//! one in another service (same trace) comes first after the error's own notes.

use std::collections::HashMap;

use crate::model::{
    message_similarity, ErrorFeatures, MatchedFeature, NoteKind, NoteSummary, SuggestedError,
    Suggestion,
};
use crate::store::{ErrorBrief, NoteFilter, NoteScope, Result, Store};

/// A match must reach this score, or share the fingerprint or the trace: one shared feature
/// of a common kind (the same exception type, say) is not enough.
const THRESHOLD: f64 = 5.0;
/// Errors whose notes are offered, best first.
const MAX_ERRORS: usize = 20;
/// Errors compared per shared feature (the newest that share it).
const PER_FEATURE: i64 = 100;
/// Exception types too general to find a note by their name alone.
const GENERIC_TYPES: [&str; 16] = [
    "Exception",
    "Error",
    "RuntimeError",
    "ValueError",
    "TypeError",
    "KeyError",
    "IOError",
    "OSError",
    "HTTPError",
    "AssertionError",
    "RuntimeException",
    "IllegalStateException",
    "IllegalArgumentException",
    "NullPointerException",
    "IOException",
    "ServerError",
];

/// How two errors compare, feature by feature.
#[derive(Default)]
struct Comparison {
    fingerprint: bool,
    exception_type: bool,
    /// 1 for the same masked message, else the share of words in common.
    similarity: f64,
    /// Frames of this error the other one has too, of how many.
    frames: (usize, usize),
    operation: bool,
    route: bool,
    call: Option<String>,
}

impl Comparison {
    fn of(mine: &ErrorFeatures, theirs: &ErrorFeatures) -> Comparison {
        let same = |a: &str, b: &str| !a.is_empty() && a == b;
        Comparison {
            fingerprint: same(&mine.fingerprint, &theirs.fingerprint),
            exception_type: same(&mine.exception_type, &theirs.exception_type),
            similarity: if same(&mine.message, &theirs.message) {
                1.0
            } else {
                message_similarity(&mine.message, &theirs.message)
            },
            frames: (
                mine.frames
                    .iter()
                    .filter(|f| theirs.frames.contains(f))
                    .count(),
                mine.frames.len(),
            ),
            operation: same(&mine.operation, &theirs.operation),
            route: mine.route.is_some() && mine.route == theirs.route,
            call: mine
                .call
                .clone()
                .filter(|c| theirs.call.as_ref() == Some(c)),
        }
    }

    /// Whether the two errors are the same kind of failure, not only failures at the same
    /// place: the fingerprint, the type, a message at least half alike, or two shared frames.
    fn same_failure(&self) -> bool {
        self.fingerprint || self.exception_type || self.similarity >= 0.5 || self.frames.0 >= 2
    }

    /// The score and the reasons, strongest first.
    fn judge(&self, mine: &ErrorFeatures) -> (f64, Vec<MatchedFeature>) {
        let mut reasons: Vec<(f64, &str, String)> = Vec::new();
        if self.fingerprint {
            reasons.push((10.0, "fingerprint", "same fingerprint".into()));
        }
        if self.exception_type {
            reasons.push((3.0, "type", "same type".into()));
        }
        if self.similarity >= 0.999 {
            reasons.push((4.0, "message", "same message".into()));
        } else if self.similarity >= 0.5 {
            reasons.push((
                4.0 * self.similarity,
                "message",
                format!("message {:.0}% alike", self.similarity * 100.0),
            ));
        }
        let (k, n) = self.frames;
        if k > 0 {
            // One shared frame of a one-frame trace is weak: count at least three.
            reasons.push((
                6.0 * k as f64 / n.max(3) as f64,
                "frames",
                format!("{k} of {n} top frames"),
            ));
        }
        if self.operation {
            reasons.push((
                2.0,
                "operation",
                format!("same operation {}", mine.operation),
            ));
        }
        if self.route {
            if let Some(route) = &mine.route {
                reasons.push((1.5, "route", format!("same route {route}")));
            }
        }
        if let Some(call) = &self.call {
            reasons.push((2.0, "call", format!("same call {call}")));
        }
        reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
        let score = reasons.iter().map(|r| r.0).sum();
        let matched = reasons
            .into_iter()
            .map(|(_, feature, detail)| MatchedFeature {
                feature: feature.into(),
                detail,
            })
            .collect();
        (score, matched)
    }

    /// A suggestion: the fingerprint, or the same kind of failure scoring enough.
    fn matches(&self, score: f64) -> bool {
        self.fingerprint || (self.same_failure() && score >= THRESHOLD)
    }
}

/// "same type and 3 of 4 top frames": the reasons joined.
fn why(matched: &[MatchedFeature]) -> String {
    let parts: Vec<&str> = matched.iter().map(|m| m.detail.as_str()).collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A suggestion made for one reason, which is also its explanation.
fn for_one_reason(
    reason: &str,
    feature: &str,
    detail: String,
    score: f64,
    error: Option<SuggestedError>,
    note: NoteSummary,
) -> Suggestion {
    Suggestion {
        reason: reason.into(),
        why: detail.clone(),
        matched: vec![MatchedFeature {
            feature: feature.into(),
            detail,
        }],
        score,
        error,
        note,
    }
}

fn suggested(e: &ErrorBrief) -> SuggestedError {
    SuggestedError {
        id: e.id,
        service: e.service.clone(),
        exception_type: e.exception_type.clone(),
        message: e.message.clone(),
        status: e.status.clone(),
    }
}

/// The notes that may explain `error`, as `scope` may read them: its own, then those on the
/// error that caused it in another service, then those on similar errors, then general notes
/// naming its exception type. `error` must already be known to be in the scope.
pub async fn suggestions(store: &Store, scope: NoteScope, error: i64) -> Result<Vec<Suggestion>> {
    let (me, mine) = store.error_features(error).await?;
    let mut out: Vec<Suggestion> = Vec::new();
    let push = |s: Suggestion, out: &mut Vec<Suggestion>| {
        if !out.iter().any(|o| o.note.id == s.note.id) {
            out.push(s);
        }
    };
    for note in store.notes_on_errors(scope.viewer, &[error]).await? {
        push(
            Suggestion {
                reason: "this_error".into(),
                why: "written on this error".into(),
                matched: Vec::new(),
                score: 100.0,
                error: None,
                note,
            },
            &mut out,
        );
    }
    for s in root_causes(store, scope, error, &me).await? {
        push(s, &mut out);
    }
    for s in similar(store, scope, error, &mine).await? {
        push(s, &mut out);
    }
    for s in mentions(store, scope, &mine).await? {
        push(s, &mut out);
    }
    Ok(out)
}

/// Notes on the errors that caused this one: it was passed up from a failed call to
/// another service, and that service failed in the same trace.
async fn root_causes(
    store: &Store,
    scope: NoteScope,
    error: i64,
    me: &ErrorBrief,
) -> Result<Vec<Suggestion>> {
    let Some(from) = me.passed_from.as_deref() else {
        return Ok(Vec::new());
    };
    let roots: Vec<ErrorBrief> = store
        .errors_in_same_traces(error)
        .await?
        .into_iter()
        .filter(|e| e.service == from)
        .collect();
    let by_id: HashMap<i64, &ErrorBrief> = roots.iter().map(|e| (e.id, e)).collect();
    let ids: Vec<i64> = roots.iter().map(|e| e.id).collect();
    let notes = store.notes_on_errors(scope.viewer, &ids).await?;
    Ok(notes
        .into_iter()
        .filter_map(|note| {
            let root = by_id.get(&note.error_id?)?;
            let detail = format!(
                "{} in {} failed first, in the same trace",
                root.exception_type, root.service
            );
            Some(for_one_reason(
                "root_cause",
                "same_trace",
                detail,
                50.0,
                Some(suggested(root)),
                note,
            ))
        })
        .collect())
}

/// Notes on errors that share enough features with this one, best match first.
async fn similar(
    store: &Store,
    scope: NoteScope,
    error: i64,
    mine: &ErrorFeatures,
) -> Result<Vec<Suggestion>> {
    // Candidates come through the features they share; each is then scored on all of its
    // stored features, not only those it came through.
    let ids = store
        .errors_sharing(scope, error, mine, PER_FEATURE)
        .await?;
    let features = store.stored_features(&ids).await?;
    let mut ranked: Vec<(i64, f64, Vec<MatchedFeature>)> = features
        .iter()
        .filter_map(|(id, theirs)| {
            let c = Comparison::of(mine, theirs);
            let (score, matched) = c.judge(mine);
            c.matches(score).then_some((*id, score, matched))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(MAX_ERRORS);
    let ids: Vec<i64> = ranked.iter().map(|r| r.0).collect();
    let briefs = store.error_briefs(&ids).await?;
    let mut by_error: HashMap<i64, Vec<NoteSummary>> = HashMap::new();
    for note in store.notes_on_errors(scope.viewer, &ids).await? {
        if let Some(e) = note.error_id {
            by_error.entry(e).or_default().push(note);
        }
    }
    let mut out = Vec::new();
    for (id, score, matched) in ranked {
        let Some(brief) = briefs.get(&id) else {
            continue;
        };
        for note in by_error.remove(&id).unwrap_or_default() {
            out.push(Suggestion {
                reason: "similar".into(),
                why: why(&matched),
                matched: matched.clone(),
                score,
                error: Some(suggested(brief)),
                note,
            });
        }
    }
    Ok(out)
}

/// General notes that name the error's exception type, when the type is specific enough
/// for its name to mean something.
async fn mentions(
    store: &Store,
    scope: NoteScope,
    mine: &ErrorFeatures,
) -> Result<Vec<Suggestion>> {
    // General notes belong to no project: what a project's alerts quote stays its own.
    if scope.project.is_some() {
        return Ok(Vec::new());
    }
    let short = mine
        .exception_type
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(&mine.exception_type);
    if short.len() < 4 || GENERIC_TYPES.contains(&short) {
        return Ok(Vec::new());
    }
    let notes = store
        .search_notes(
            scope.viewer,
            &NoteFilter {
                q: Some(short.to_string()),
                kind: Some(NoteKind::General),
                limit: 5,
                ..Default::default()
            },
        )
        .await?;
    let detail = format!("mentions {short}");
    Ok(notes
        .into_iter()
        .map(|note| for_one_reason("mentions", "mention", detail.clone(), 1.0, None, note))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine() -> ErrorFeatures {
        ErrorFeatures {
            fingerprint: "f".into(),
            exception_type: "OutOfStock".into(),
            message: "sku <n> is sold out".into(),
            frames: vec![
                "a@x.py".into(),
                "b@x.py".into(),
                "c@y.py".into(),
                "d@z.py".into(),
            ],
            operation: "GET /stock".into(),
            route: None,
            call: None,
        }
    }

    #[test]
    fn the_same_type_alone_or_the_same_place_alone_is_not_a_match() {
        let me = mine();
        let mut theirs = ErrorFeatures {
            exception_type: "OutOfStock".into(),
            ..Default::default()
        };
        let c = Comparison::of(&me, &theirs);
        assert!(!c.matches(c.judge(&me).0));
        theirs.frames = vec!["a@x.py".into(), "b@x.py".into(), "c@y.py".into()];
        let c = Comparison::of(&me, &theirs);
        let (score, matched) = c.judge(&me);
        assert!(c.matches(score));
        assert_eq!(why(&matched), "3 of 4 top frames and same type");
        let place = ErrorFeatures {
            operation: "GET /stock".into(),
            route: Some("gateway: GET /".into()),
            call: Some("gateway → stock".into()),
            ..Default::default()
        };
        let me = ErrorFeatures {
            route: place.route.clone(),
            call: place.call.clone(),
            ..mine()
        };
        let c = Comparison::of(&me, &place);
        assert!(c.judge(&me).0 >= THRESHOLD && !c.matches(c.judge(&me).0));
    }
}
