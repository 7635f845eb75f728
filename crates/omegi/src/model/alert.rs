//! Alerts as data: what makes a rule fire, where an alert goes, and the record of each
//! delivery. Which rules an occurrence fires is decided here, without I/O; storage supplies
//! the counts a rule needs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Millis;

/// Default storm-control interval: one alert per rule and error per 30 minutes.
pub const DEFAULT_INTERVAL_MINUTES: i64 = 30;

/// What makes a rule fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// An error group is seen for the first time.
    New,
    /// A resolved error is seen again.
    Regression,
    /// At least `spike_count` occurrences of one error within `spike_minutes`.
    Spike,
    /// A service gets its first unresolved error: it turns red on the service map.
    ServiceRed,
    /// Every occurrence, at most once per interval and error.
    Occurrence,
}

impl Trigger {
    pub const ALL: [Trigger; 5] = [
        Trigger::New,
        Trigger::Regression,
        Trigger::Spike,
        Trigger::ServiceRed,
        Trigger::Occurrence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::New => "new",
            Trigger::Regression => "regression",
            Trigger::Spike => "spike",
            Trigger::ServiceRed => "service_red",
            Trigger::Occurrence => "occurrence",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// How a person reads it, in a message title.
    pub fn headline(self) -> &'static str {
        match self {
            Trigger::New => "New error",
            Trigger::Regression => "Regression",
            Trigger::Spike => "Spike",
            Trigger::ServiceRed => "Service turned red",
            Trigger::Occurrence => "Error",
        }
    }
}

/// Where alerts go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Any HTTPS endpoint: Omegi's JSON body, signed with `X-Omegi-Signature`.
    Webhook,
    /// A Slack incoming webhook (Block Kit).
    Slack,
    /// A Discord webhook (embeds).
    Discord,
    /// A Microsoft Teams incoming webhook (an Adaptive Card).
    Teams,
    /// Email over the SMTP server of `--smtp-host`.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Teams,
        ChannelKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Teams => "teams",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the target is a URL (else email addresses).
    pub fn is_http(self) -> bool {
        self != ChannelKind::Email
    }
}

/// A channel as the API shows it. Members see where it points without the secret part of the
/// URL (Slack, Discord and Teams URLs are credentials); owners see the whole target.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertChannel {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// The URL (owners) or its scheme and host (members); for email the recipients.
    pub target: String,
    /// Whether the webhook body is signed (the secret was shown once, at creation).
    pub signed: bool,
    pub created_at: String,
}

/// Which errors a rule is about; a missing filter lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleFilter {
    /// Only errors of this service.
    pub service: Option<String>,
    /// Only occurrences whose `deployment.environment.name` is this.
    pub environment: Option<String>,
    /// Only exception types matching this glob, e.g. `*Timeout*` or `java.sql.*`.
    pub exception_type: Option<String>,
    /// Only errors seen at least this many times in all.
    pub min_count: i64,
}

/// A rule as stored and shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertRule {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub trigger: Trigger,
    /// Spike: this many occurrences…
    pub spike_count: Option<i64>,
    /// …within this many minutes.
    pub spike_minutes: Option<i64>,
    #[serde(flatten)]
    pub filter: RuleFilter,
    /// At most one alert per rule and error per this many minutes.
    pub interval_minutes: i64,
    /// Silent until then (RFC 3339), when muted.
    pub muted_until: Option<String>,
    /// Channels the alerts go to.
    pub channel_ids: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// One message's worth of an alert: an outbox row, and afterwards its history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertDelivery {
    pub id: i64,
    pub rule_id: Option<i64>,
    pub rule_name: String,
    pub channel_id: Option<i64>,
    pub channel_name: String,
    pub error_id: Option<i64>,
    /// The trigger, or `test` for a test alert.
    pub trigger: String,
    /// `pending` (waiting or retrying), `sent` or `failed` (gave up).
    pub status: String,
    pub attempts: i64,
    /// The HTTP status (or SMTP reply code) of the last attempt.
    pub response_code: Option<i64>,
    pub last_error: Option<String>,
    /// Sent as `X-Omegi-Delivery` and `delivery_id`: the same on every retry of a message.
    pub delivery_id: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// What assembly saw of one new occurrence, as rules test it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub project_id: i64,
    pub error_id: i64,
    pub service: String,
    pub environment: Option<String>,
    pub exception_type: String,
    /// The group's occurrences, this one included.
    pub count: i64,
    /// This occurrence created the group.
    pub new: bool,
    /// This occurrence re-opened a resolved group.
    pub regressed: bool,
    /// It was passed up from a failed call, so it does not turn its service red.
    pub passed_up: bool,
}

impl RuleFilter {
    /// Whether an occurrence passes every filter.
    pub fn matches(&self, seen: &Seen) -> bool {
        let glob = self.exception_type.as_deref().and_then(type_glob);
        self.matches_with(seen, glob.as_ref())
    }

    /// The same with the exception-type glob compiled once (`None` for no glob).
    fn matches_with(&self, seen: &Seen, glob: Option<&glob::Pattern>) -> bool {
        self.service.as_ref().is_none_or(|s| *s == seen.service)
            && self
                .environment
                .as_ref()
                .is_none_or(|e| seen.environment.as_ref() == Some(e))
            && (self.exception_type.is_none()
                || glob.is_some_and(|p| p.matches(&seen.exception_type)))
            && seen.count >= self.min_count
    }
}

/// A glob over exception types; `None` when it is not a valid pattern.
pub fn type_glob(pattern: &str) -> Option<glob::Pattern> {
    glob::Pattern::new(pattern).ok()
}

/// A rule, as assembly tests occurrences against it.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub trigger: Trigger,
    pub spike_count: i64,
    pub spike_minutes: i64,
    pub filter: RuleFilter,
    pub interval_minutes: i64,
    pub muted_until: Option<Millis>,
    pub channel_ids: Vec<i64>,
    /// `filter.exception_type` compiled.
    pub type_glob: Option<glob::Pattern>,
}

impl RuleSpec {
    /// Whether the rule may fire for `seen` at `now`, before counts only storage knows (the
    /// spike window, the service's other errors) and storm control.
    pub fn applies(&self, seen: &Seen, now: Millis) -> bool {
        if self.project_id != seen.project_id
            || self.channel_ids.is_empty()
            || self.muted_until.is_some_and(|m| m > now)
            || !self.filter.matches_with(seen, self.type_glob.as_ref())
        {
            return false;
        }
        match self.trigger {
            Trigger::New => seen.new,
            Trigger::Regression => seen.regressed,
            Trigger::ServiceRed => (seen.new || seen.regressed) && !seen.passed_up,
            Trigger::Spike | Trigger::Occurrence => true,
        }
    }

    pub fn interval_ms(&self) -> Millis {
        self.interval_minutes.saturating_mul(60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Seen {
        Seen {
            project_id: 1,
            error_id: 7,
            service: "payments".into(),
            environment: Some("production".into()),
            exception_type: "java.sql.SQLTimeoutException".into(),
            count: 3,
            new: false,
            regressed: true,
            passed_up: false,
        }
    }

    fn rule(trigger: Trigger, filter: RuleFilter) -> RuleSpec {
        RuleSpec {
            id: 1,
            project_id: 1,
            name: "r".into(),
            trigger,
            spike_count: 0,
            spike_minutes: 0,
            filter,
            interval_minutes: 30,
            muted_until: None,
            channel_ids: vec![1],
            type_glob: None,
        }
    }

    #[test]
    fn filters_narrow_by_service_environment_type_glob_and_count() {
        let s = seen();
        let f = |service: Option<&str>, env: Option<&str>, ty: Option<&str>, min: i64| RuleFilter {
            service: service.map(Into::into),
            environment: env.map(Into::into),
            exception_type: ty.map(Into::into),
            min_count: min,
        };
        assert!(f(None, None, None, 0).matches(&s));
        assert!(f(Some("payments"), Some("production"), Some("java.sql.*"), 3).matches(&s));
        assert!(f(None, None, Some("*Timeout*"), 0).matches(&s));
        assert!(!f(Some("gateway"), None, None, 0).matches(&s));
        assert!(!f(None, Some("staging"), None, 0).matches(&s));
        assert!(!f(None, None, Some("*NullPointer*"), 0).matches(&s));
        assert!(!f(None, None, None, 4).matches(&s));
    }

    #[test]
    fn a_rule_fires_on_its_trigger_unless_muted() {
        let s = seen();
        assert!(rule(Trigger::Regression, RuleFilter::default()).applies(&s, 0));
        assert!(!rule(Trigger::New, RuleFilter::default()).applies(&s, 0));
        assert!(rule(Trigger::ServiceRed, RuleFilter::default()).applies(&s, 0));
        let mut muted = rule(Trigger::Regression, RuleFilter::default());
        muted.muted_until = Some(1_000);
        assert!(!muted.applies(&s, 999));
        assert!(muted.applies(&s, 1_000));
        let mut silent = rule(Trigger::Occurrence, RuleFilter::default());
        silent.channel_ids.clear();
        assert!(!silent.applies(&s, 0));
    }
}
