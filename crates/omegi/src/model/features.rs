//! What "solved before?" compares two errors on: their fingerprint, exception type, message
//! with the variable parts masked, the application's own stack frames (function and file,
//! not line), the failing operation, the request's route and the failing call between two
//! services. Pure: read from an error group and its latest occurrence.

use serde_json::Value;

use super::{Log, Summary};

/// How many of the newest application frames are compared.
pub const TOP_FRAMES: usize = 5;
/// Longer values are cut here (at a character boundary): a message carrying a token or a
/// blob stays comparable, and stays under PostgreSQL's limit on an index entry.
const MAX_VALUE: usize = 500;

fn clip(s: &str) -> String {
    if s.len() <= MAX_VALUE {
        return s.to_string();
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Frames of these Java packages are libraries, unless the application names its own.
const JAVA_LIBRARIES: [&str; 20] = [
    "java.",
    "javax.",
    "jakarta.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "scala.",
    "org.springframework.",
    "org.apache.",
    "org.hibernate.",
    "io.netty.",
    "io.opentelemetry.",
    "com.fasterxml.",
    "reactor.",
    "org.eclipse.",
    "com.zaxxer.",
    "io.micrometer.",
    "org.junit.",
    "net.bytebuddy.",
];

/// The features of one error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorFeatures {
    pub fingerprint: String,
    pub exception_type: String,
    /// The message lower-cased with numbers, ids and quoted values masked.
    pub message: String,
    /// Up to [`TOP_FRAMES`] application frames, newest first, as `function@file`.
    pub frames: Vec<String>,
    pub operation: String,
    /// The request's entry: the first step of the flow, `service: span name`.
    pub route: Option<String>,
    /// The failing call on the request's path, `caller → callee`.
    pub call: Option<String>,
}

/// What an error group says about itself, besides its latest occurrence.
pub struct GroupFacts<'a> {
    pub fingerprint: &'a str,
    pub service: &'a str,
    pub exception_type: &'a str,
    pub message: &'a str,
    pub operation: &'a str,
}

impl ErrorFeatures {
    pub fn of(group: &GroupFacts<'_>, latest: Option<(&Summary, &Log)>) -> ErrorFeatures {
        let (route, call, frames) = match latest {
            Some((summary, log)) => (
                summary.flow.first().map(|s| flow_step(s).to_string()),
                failing_call(group.service, summary),
                app_frames(log, &trace_packages(summary)),
            ),
            None => (None, None, Vec::new()),
        };
        ErrorFeatures {
            fingerprint: clip(group.fingerprint),
            exception_type: clip(group.exception_type),
            message: clip(&mask_message(group.message)),
            frames: frames.iter().map(|f| clip(f)).collect(),
            operation: clip(group.operation),
            route: route.as_deref().map(clip),
            call: call.as_deref().map(clip),
        }
    }

    /// As stored in `error_features`: (kind, value) pairs.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            ("fingerprint", self.fingerprint.clone()),
            ("type", self.exception_type.clone()),
            ("message", self.message.clone()),
            ("operation", self.operation.clone()),
        ];
        rows.extend(self.frames.iter().map(|f| ("frame", f.clone())));
        rows.extend(self.route.iter().map(|r| ("route", r.clone())));
        rows.extend(self.call.iter().map(|c| ("call", c.clone())));
        rows.retain(|(_, v)| !v.is_empty());
        rows
    }

    /// Read back from stored rows (frames in stored order).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> ErrorFeatures {
        let mut f = ErrorFeatures::default();
        for (kind, value) in rows {
            let value = value.to_string();
            match kind {
                "fingerprint" => f.fingerprint = value,
                "type" => f.exception_type = value,
                "message" => f.message = value,
                "operation" => f.operation = value,
                "frame" => f.frames.push(value),
                "route" => f.route = Some(value),
                "call" => f.call = Some(value),
                _ => {}
            }
        }
        f
    }
}

/// `3. inventory: GET /stock` → `inventory: GET /stock`.
fn flow_step(step: &str) -> &str {
    match step.split_once(". ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => step,
    }
}

/// The call that failed on the request's path: to the peer the failure was passed up from,
/// or the client call that failed, or else the call into the failing service.
fn failing_call(service: &str, s: &Summary) -> Option<String> {
    if let Some(to) = s.passed_from.as_deref().or(s.operation.target.as_deref()) {
        return Some(format!("{service} → {to}"));
    }
    let services: Vec<&str> = s
        .flow
        .iter()
        .filter_map(|step| flow_step(step).split_once(": ").map(|(svc, _)| svc))
        .collect();
    let at = services.iter().rposition(|svc| *svc == service)?;
    services[..at]
        .iter()
        .rev()
        .find(|svc| **svc != service)
        .map(|caller| format!("{caller} → {service}"))
}

/// The application's packages, when the agent named them (`omegi.trace_packages`).
fn trace_packages(s: &Summary) -> Vec<String> {
    s.environment
        .get("omegi.trace_packages")
        .and_then(Value::as_str)
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The message lower-cased, with what varies between occurrences of one problem masked:
/// numbers, hexadecimal ids and UUIDs (`<n>`), quoted values (`<q>`).
pub fn mask_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let at_boundary = !out.chars().last().is_some_and(char::is_alphanumeric);
        // A quote opens at a word boundary and must close: `can't` is a word.
        if matches!(c, '\'' | '"' | '`') && at_boundary {
            if let Some(end) = after.find(c) {
                out.push_str("<q>");
                rest = &after[end + c.len_utf8()..];
                continue;
            }
        }
        if c.is_alphanumeric() || c == '_' || c == '-' || c == '\'' {
            let end = rest
                .find(|n: char| !(n.is_alphanumeric() || n == '_' || n == '-' || n == '\''))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if is_variable(word) {
                out.push_str("<n>");
            } else {
                out.push_str(&word.to_lowercase());
            }
            rest = &rest[end..];
            continue;
        }
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        rest = after;
    }
    out.trim_end().to_string()
}

/// A number, a hexadecimal id of 8 or more digits, or a UUID-like run of hex and dashes.
fn is_variable(word: &str) -> bool {
    let w = word.trim_matches('-');
    let w = w.strip_prefix("0x").unwrap_or(w);
    if w.is_empty() {
        return false;
    }
    let digits = w.chars().filter(char::is_ascii_digit).count();
    let hex = w.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    w.chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '_')
        || (hex && w.len() >= 8 && digits > 0)
        || (digits * 2 > w.len())
}

/// How alike two masked messages are: the share of their words they have in common
/// (Jaccard), 0 to 1.
pub fn message_similarity(a: &str, b: &str) -> f64 {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '<' || c == '>' || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(&b).count() as f64;
    common / a.union(&b).count() as f64
}

/// The newest application frames of the exception finally raised, as `function@file`:
/// from what a Sentry SDK sent when there is that (its `in_app`), else parsed from the
/// stack trace text (Python tracebacks, Java stack traces).
pub fn app_frames(log: &Log, packages: &[String]) -> Vec<String> {
    if let Some(e) = log.reported.as_ref().and_then(|r| r.exceptions.first()) {
        let frames = e
            .frames
            .iter()
            .filter(|f| f.in_app.unwrap_or(false))
            .filter_map(|f| {
                let func = f.function.as_deref()?;
                let file = f
                    .filename
                    .as_deref()
                    .or(f.abs_path.as_deref())
                    .or(f.module.as_deref())?;
                Some(format!("{func}@{}", file_name(file)))
            });
        return frames.take(TOP_FRAMES).collect();
    }
    let Some(text) = log.stacktrace.as_deref() else {
        return Vec::new();
    };
    let mut frames = if text.contains("Traceback (most recent call last)") {
        python_frames(text, packages)
    } else {
        java_frames(text, packages)
    };
    frames.truncate(TOP_FRAMES);
    frames
}

/// A file compared by its last two path parts: the same module deployed under two roots
/// matches, `views.py` of two packages does not.
fn file_name(path: &str) -> String {
    let parts: Vec<&str> = path.rsplit(['/', '\\']).take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

fn in_packages(module: &str, packages: &[String]) -> bool {
    packages.iter().any(|p| {
        module == p
            || module.starts_with(&format!("{p}."))
            || module.contains(&format!(".{p}."))
            || module.ends_with(&format!(".{p}"))
    })
}

/// The last traceback's frames, newest first.
fn python_frames(text: &str, packages: &[String]) -> Vec<String> {
    let last = text
        .rfind("Traceback (most recent call last)")
        .map_or(text, |at| &text[at..]);
    let mut frames: Vec<String> = last
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("File \"")?;
            let (path, rest) = rest.split_once("\", line ")?;
            let (_, func) = rest.split_once(", in ")?;
            let normalized = path.replace('\\', "/");
            let library = normalized.contains("/site-packages/")
                || normalized.contains("/dist-packages/")
                || normalized.contains("/lib/python")
                || normalized.starts_with('<');
            let module = normalized.trim_end_matches(".py").replace('/', ".");
            let app = !library && (packages.is_empty() || in_packages(&module, packages));
            app.then(|| format!("{}@{}", func.trim(), file_name(path)))
        })
        .collect();
    frames.reverse();
    frames
}

/// The frames before the first `Caused by:` (newest first, as Java prints them).
fn java_frames(text: &str, packages: &[String]) -> Vec<String> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("Caused by:"))
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("at ")?;
            let (qualified, location) = rest.split_once('(')?;
            // `app//com.shop.Pay.charge` (class loader prefix) → `com.shop.Pay.charge`.
            let qualified = qualified.rsplit('/').next().unwrap_or(qualified);
            let (class, method) = qualified.rsplit_once('.')?;
            let library = if packages.is_empty() {
                JAVA_LIBRARIES.iter().any(|p| class.starts_with(p))
            } else {
                !in_packages(class, packages)
            };
            let file = location
                .trim_end_matches(')')
                .split(':')
                .next()
                .unwrap_or("");
            let short_class = class.rsplit('.').next().unwrap_or(class);
            (!library).then(|| format!("{short_class}.{method}@{file}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_masked_and_compared_by_words() {
        assert_eq!(
            mask_message("Order 8812 for 'alice' failed: id 3fa85f64-5717-4562 at 0x7ffe12ab"),
            "order <n> for <q> failed: id <n> at <n>"
        );
        assert_eq!(mask_message("can't reach \"db-1\""), "can't reach <q>");
        let a = mask_message("sku 42 is sold out");
        let b = mask_message("sku 7 is sold out");
        assert!((message_similarity(&a, &b) - 1.0).abs() < 1e-9);
        let c = mask_message("connection pool exhausted");
        assert!(message_similarity(&a, &c) < 0.01);
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        let long = "é".repeat(400);
        let f = ErrorFeatures::of(
            &GroupFacts {
                fingerprint: "f",
                service: "s",
                exception_type: "T",
                message: &long,
                operation: "op",
            },
            None,
        );
        assert!(f.message.len() <= MAX_VALUE && f.message.chars().all(|c| c == 'é'));
    }

    #[test]
    fn python_frames_are_the_apps_newest_first() {
        let log = Log {
            stacktrace: Some(
                "Traceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/flask/app.py\", line 10, in dispatch\n    x\n  File \"/srv/shop/views.py\", line 20, in checkout\n    reserve()\n  File \"/srv/shop/stock.py\", line 31, in reserve\n    raise OutOfStock()\nshop.stock.OutOfStock: sold out".into(),
            ),
            events: Vec::new(),
            reported: None,
        };
        assert_eq!(
            app_frames(&log, &[]),
            ["reserve@shop/stock.py", "checkout@shop/views.py"]
        );
    }

    #[test]
    fn java_frames_skip_libraries_and_causes() {
        let log = Log {
            stacktrace: Some(
                "com.shop.OutOfStock: sold out\n\tat com.shop.Stock.reserve(Stock.java:31)\n\tat org.springframework.web.Foo.bar(Foo.java:1)\n\tat app//com.shop.Checkout.run(Checkout.java:12)\nCaused by: java.io.IOException\n\tat com.shop.Db.read(Db.java:3)".into(),
            ),
            events: Vec::new(),
            reported: None,
        };
        assert_eq!(
            app_frames(&log, &[]),
            ["Stock.reserve@Stock.java", "Checkout.run@Checkout.java"]
        );
    }
}
