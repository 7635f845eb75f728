//! Plain data types shared by storage and the API. No I/O lives here.

mod account;
mod alert;
mod assembly;
mod error;
mod features;
mod graph;
mod latency;
mod note;
mod project;
mod service_map;
mod settings;
mod span;

pub use account::{check_password, check_username, User, UserRole};
pub use alert::{
    type_glob, AlertChannel, AlertDelivery, AlertRule, ChannelKind, RuleFilter, RuleSpec, Seen,
    Trigger, DEFAULT_INTERVAL_MINUTES,
};
pub use assembly::{Assembly, Edge, OccurrenceDraft, ServiceStat};
pub use error::{
    Activity, ErrorGroup, ErrorStatus, Frame, Log, Occurrence, Operation, Reported,
    ReportedException, Resolution, SpanView, Summary, TraceView,
};
pub use features::{
    app_frames, mask_message, message_similarity, ErrorFeatures, GroupFacts, TOP_FRAMES,
};
pub use graph::{Graph, GraphEdge, GraphNode};
pub use latency::{duration_bin, Latencies};
pub use note::{
    inline_tags, mentions, normalize_tag, tidy_note, unbracket, wikilinks, Comment, MatchedFeature,
    Note, NoteKind, NoteProblem, NoteRef, NoteSummary, Notification, Revision, SuggestedError,
    Suggestion, Visibility, WikiLink, MAX_BODY, MAX_TAGS, MAX_TITLE,
};
pub use project::{
    IngestToken, Member, MemberRole, Project, SentryKey, Service, SetupInfo, MAX_SERVICE_NAME,
    SERVICE_KINDS,
};
pub use service_map::{MapEdge, MapNode, MapNote, ServiceMap, TraceSummary};
pub use settings::{DatabaseView, KafkaView, RetentionView, ServerSettings};
pub use span::{
    hex, SpanDetail, SpanEvent, SpanRecord, PEER_ATTRIBUTES, SENTRY_EVENT_ID, SENTRY_REPORTED,
    STATUS_ERROR, STATUS_OK, STATUS_UNSET,
};

/// Unix time in milliseconds; how every timestamp is stored.
pub type Millis = i64;

/// The current time in Unix milliseconds.
/// At most `max` characters, the last one `…` when cut.
pub fn clip_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Renders stored milliseconds as RFC 3339 (UTC) for API answers.
pub fn rfc3339(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
