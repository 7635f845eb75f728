use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::SpanEvent;

/// Where an error group stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ErrorStatus {
    Unresolved,
    Resolved,
    Ignored,
}

impl ErrorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorStatus::Unresolved => "unresolved",
            ErrorStatus::Resolved => "resolved",
            ErrorStatus::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorStatus> {
        match s {
            "unresolved" => Some(ErrorStatus::Unresolved),
            "resolved" => Some(ErrorStatus::Resolved),
            "ignored" => Some(ErrorStatus::Ignored),
            _ => None,
        }
    }
}

/// Occurrences of the same failure, grouped by fingerprint.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorGroup {
    pub id: i64,
    pub project_id: i64,
    pub project: String,
    pub service: String,
    pub exception_type: String,
    pub message: String,
    pub operation: String,
    pub status: ErrorStatus,
    /// It was resolved and happened again.
    pub regressed: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub occurrence_count: i64,
    pub status_changed_at: Option<String>,
    pub status_changed_by: Option<String>,
    /// Notes attached to this error that the caller can read.
    pub note_count: i64,
    /// Its latest occurrence was passed up from a failed call to this service or peer, so
    /// the service map does not count it against its own service.
    pub passed_from: Option<String>,
    /// How it was last resolved, kept when it regresses: "fixed before by …".
    pub resolution: Option<Resolution>,
}

/// Who resolved an error last, when, in which release, and the note telling how.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Resolution {
    pub resolved_by: Option<String>,
    pub resolved_at: String,
    /// The release the fix shipped in (`service.version`).
    pub release: Option<String>,
    /// The resolution note, when there is one the caller can read.
    pub note_id: Option<i64>,
    pub note_title: Option<String>,
}

/// One failure in one trace: **summary**, **log** and the **trace** it happened in.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Occurrence {
    pub id: i64,
    pub error_id: i64,
    pub project_id: i64,
    pub trace_id: String,
    pub span_id: String,
    pub occurred_at: String,
    pub summary: Summary,
    pub log: Log,
    pub trace: TraceView,
}

/// What failed, where and how the request got there: the **Summary** of an occurrence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub exception_type: String,
    pub message: String,
    pub service: String,
    pub operation: Operation,
    /// When the failing span ended (RFC 3339).
    pub timestamp: String,
    pub trace_id: String,
    pub span_id: String,
    /// The failing service's resource attributes (host, process, deployment environment).
    #[schema(value_type = Object)]
    pub environment: serde_json::Map<String, Value>,
    /// `1. service: span name`, from the root span to the failing span.
    pub flow: Vec<String>,
    /// The failure was passed up from a call that failed first, to this service or peer:
    /// the failing service did not cause it.
    #[serde(default)]
    pub passed_from: Option<String>,
}

impl Summary {
    /// The failing service's deployment environment (`deployment.environment.name`, or the
    /// older `deployment.environment`).
    pub fn deployment_environment(&self) -> Option<String> {
        self.resource_text(&["deployment.environment.name", "deployment.environment"])
    }

    /// The failing service's release: `service.version`.
    pub fn release(&self) -> Option<String> {
        self.resource_text(&["service.version"])
    }

    fn resource_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.environment.get(*k))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }
}

/// The failing operation, from the failing span's name and semantic-convention attributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Operation {
    pub name: String,
    /// `internal`, `server`, `client`, `producer`, `consumer` or `unspecified`.
    pub kind: String,
    pub code_function: Option<String>,
    pub code_namespace: Option<String>,
    pub code_filepath: Option<String>,
    pub code_lineno: Option<i64>,
    pub http_method: Option<String>,
    pub http_route: Option<String>,
    pub http_status_code: Option<i64>,
    /// The URL a client call asked for (`url.full`, `http.url`).
    #[serde(default)]
    pub http_url: Option<String>,
    /// What a client call called: the service that answered it, or the peer it names.
    #[serde(default)]
    pub target: Option<String>,
}

/// The **Log** of an occurrence: the stack trace as sent, and the failing span's events in
/// time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Log {
    pub stacktrace: Option<String>,
    pub events: Vec<SpanEvent>,
    /// What a Sentry SDK captured with the error, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Reported>,
}

/// What a Sentry SDK captured with an error beyond the stack trace text, as sent: nothing is
/// filled in that the SDK did not send.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reported {
    pub event_id: String,
    /// `exception` (an exception was captured) or `message` (`capture_message`).
    pub captured: String,
    pub level: Option<String>,
    pub platform: Option<String>,
    /// The exceptions, the one that was raised first and the causes after it.
    pub exceptions: Vec<ReportedException>,
    /// What happened before, oldest first: `timestamp`, `type`, `category`, `message`,
    /// `level`, `data`.
    #[schema(value_type = Vec<Object>)]
    pub breadcrumbs: Vec<Value>,
    #[schema(value_type = Option<Object>)]
    pub request: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub user: Option<Value>,
    #[schema(value_type = Object)]
    pub tags: serde_json::Map<String, Value>,
    /// Runtime, OS, device and other contexts (the trace context is the trace itself).
    #[schema(value_type = Object)]
    pub contexts: serde_json::Map<String, Value>,
    /// The SDK's `fingerprint`, which decides the error group when set.
    pub fingerprint: Vec<String>,
}

/// One exception of a reported chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportedException {
    #[serde(rename = "type")]
    pub exception_type: String,
    pub value: String,
    pub module: Option<String>,
    /// How it was caught (`handled`, the integration that caught it, …), as sent.
    #[schema(value_type = Option<Object>)]
    pub mechanism: Option<Value>,
    /// Newest call first (where it was raised), as a stack trace prints.
    pub frames: Vec<Frame>,
}

/// A stack frame as a Sentry SDK sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Frame {
    pub function: Option<String>,
    pub module: Option<String>,
    pub filename: Option<String>,
    pub abs_path: Option<String>,
    pub lineno: Option<i64>,
    pub colno: Option<i64>,
    /// The application's own code, as the SDK decided (`in_app`).
    pub in_app: Option<bool>,
    pub context_line: Option<String>,
    #[serde(default)]
    pub pre_context: Vec<String>,
    #[serde(default)]
    pub post_context: Vec<String>,
}

/// A trace as a waterfall: spans in depth-first order with their depth.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TraceView {
    pub trace_id: String,
    pub project_id: i64,
    pub start_ns: i64,
    pub duration_us: i64,
    /// Spans stored for the trace.
    pub span_count: usize,
    /// Set when the trace has more spans than one view shows (`--max-spans-per-trace`).
    pub truncated: Option<String>,
    pub services: Vec<String>,
    pub spans: Vec<SpanView>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SpanView {
    pub span_id: String,
    /// The parent as sent (it may be missing from the trace; the span then hangs under the root).
    pub parent_span_id: Option<String>,
    pub depth: usize,
    pub service: String,
    pub name: String,
    pub kind: String,
    /// Start relative to the trace start, in microseconds.
    pub offset_us: i64,
    pub duration_us: i64,
    /// `unset`, `ok` or `error`.
    pub status: String,
    pub status_message: String,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, Value>,
    pub events: Vec<SpanEvent>,
    /// On the path from the root to the failing span of the occurrence being shown.
    pub on_failing_path: bool,
    /// The span where the failure happened.
    pub failing: bool,
}

/// Most error ids one activity names; beyond that it says "errors of these projects".
pub const ACTIVITY_MAX_ERRORS: usize = 200;

/// Traces were assembled: these projects' counts, charts and map changed, and these error
/// groups got occurrences. A hint to refresh, pushed live and not stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    pub projects: Vec<i64>,
    /// The error groups seen, or `null` when there were too many to list.
    pub errors: Option<Vec<i64>>,
}

impl Activity {
    /// The activity of `projects` and `errors` (in any order, with repeats).
    pub fn new(
        projects: impl IntoIterator<Item = i64>,
        errors: impl IntoIterator<Item = i64>,
    ) -> Activity {
        let mut a = Activity {
            projects: projects.into_iter().collect(),
            errors: Some(errors.into_iter().collect()),
        };
        a.tidy();
        a
    }

    /// Adds `other` to this one.
    pub fn merge(&mut self, other: Activity) {
        self.projects.extend(other.projects);
        self.errors = match (self.errors.take(), other.errors) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
        self.tidy();
    }

    /// Only what concerns `projects` (sorted); `None` when nothing does.
    pub fn within(&self, projects: &[i64]) -> Option<Activity> {
        let mine: Vec<i64> = self
            .projects
            .iter()
            .copied()
            .filter(|p| projects.binary_search(p).is_ok())
            .collect();
        if mine.is_empty() {
            return None;
        }
        // Error ids are global: one of another project's errors names nothing the user sees.
        Some(Activity {
            errors: if mine.len() == self.projects.len() {
                self.errors.clone()
            } else {
                None
            },
            projects: mine,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.projects.is_empty()
    }

    fn tidy(&mut self) {
        self.projects.sort_unstable();
        self.projects.dedup();
        if let Some(e) = &mut self.errors {
            e.sort_unstable();
            e.dedup();
            if e.len() > ACTIVITY_MAX_ERRORS {
                self.errors = None;
            }
        }
    }
}
