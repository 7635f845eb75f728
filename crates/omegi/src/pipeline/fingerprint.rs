//! Grouping key of an error: project, service, exception type and the top frames of the stack
//! trace with what changes between deploys and runs (line numbers, addresses) removed, so the
//! same bug groups together and a different bug does not.

use sha2::{Digest, Sha256};

/// How many frames nearest to the throw decide the group.
const TOP_FRAMES: usize = 5;

/// `custom` is a fingerprint the SDK chose (Sentry's `fingerprint`): it decides the group
/// within the service instead of type and frames, with `{{ default }}` standing for the
/// grouping Omegi would have made.
pub fn fingerprint(
    project_id: i64,
    service: &str,
    exception_type: &str,
    stacktrace: Option<&str>,
    operation: &str,
    custom: Option<&[String]>,
) -> String {
    if let Some(parts) = custom {
        let mut h = Sha256::new();
        for part in [&project_id.to_string(), service, "custom"] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for part in parts {
            if is_default(part) {
                let own = fingerprint(
                    project_id,
                    service,
                    exception_type,
                    stacktrace,
                    operation,
                    None,
                );
                h.update(own.as_bytes());
            } else {
                h.update(part.as_bytes());
            }
            h.update([0]);
        }
        return crate::model::hex(&h.finalize()[..16]);
    }
    let frames = stacktrace.map(top_frames).unwrap_or_default();
    let mut h = Sha256::new();
    for part in [&project_id.to_string(), service, exception_type] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    if frames.is_empty() {
        h.update(b"op:");
        h.update(operation.as_bytes());
    } else {
        for f in frames {
            h.update(f.as_bytes());
            h.update([0]);
        }
    }
    crate::model::hex(&h.finalize()[..16])
}

/// Sentry's placeholder for the default grouping inside a custom fingerprint.
fn is_default(part: &str) -> bool {
    part.strip_prefix("{{")
        .and_then(|p| p.strip_suffix("}}"))
        .is_some_and(|p| p.trim() == "default")
}

/// The frames nearest to where the exception was raised, normalised. Python prints the most
/// recent call last; Java, JavaScript, .NET and Go print it first.
pub fn top_frames(stacktrace: &str) -> Vec<String> {
    let frames: Vec<&str> = stacktrace
        .lines()
        .map(str::trim)
        .filter(|l| is_frame(l))
        .collect();
    let python = stacktrace.contains("Traceback (most recent call last)");
    let nearest: Vec<&str> = if python {
        frames.iter().rev().take(TOP_FRAMES).copied().collect()
    } else {
        frames.iter().take(TOP_FRAMES).copied().collect()
    };
    nearest.into_iter().map(normalize).collect()
}

fn is_frame(line: &str) -> bool {
    line.starts_with("File \"") || line.starts_with("at ") || line.contains(".go:")
}

/// Drops line and column numbers and memory addresses.
fn normalize(frame: &str) -> String {
    let mut out = String::with_capacity(frame.len());
    let mut rest = frame;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("line ") {
            out.push_str("line ");
            rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
        } else if let Some(tail) = rest.strip_prefix("0x") {
            rest = tail.trim_start_matches(|c: char| c.is_ascii_hexdigit());
            out.push_str("0x");
        } else if let Some(tail) = rest.strip_prefix(':') {
            out.push(':');
            rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY_A: &str = "Traceback (most recent call last):\n  File \"/app/shop/api.py\", line 10, in checkout\n    reserve()\n  File \"/app/shop/stock.py\", line 42, in reserve\n    raise OutOfStock()\nshop.stock.OutOfStock: sku 1";
    const PY_B: &str = "Traceback (most recent call last):\n  File \"/app/shop/api.py\", line 12, in checkout\n    reserve()\n  File \"/app/shop/stock.py\", line 47, in reserve\n    raise OutOfStock()\nshop.stock.OutOfStock: sku 2";

    #[test]
    fn line_numbers_and_messages_do_not_split_a_group() {
        assert_eq!(
            fingerprint(1, "stock", "OutOfStock", Some(PY_A), "x", None),
            fingerprint(1, "stock", "OutOfStock", Some(PY_B), "y", None)
        );
    }

    #[test]
    fn type_service_project_or_frames_do() {
        let base = fingerprint(1, "stock", "OutOfStock", Some(PY_A), "x", None);
        assert_ne!(
            base,
            fingerprint(2, "stock", "OutOfStock", Some(PY_A), "x", None)
        );
        assert_ne!(
            base,
            fingerprint(1, "cart", "OutOfStock", Some(PY_A), "x", None)
        );
        assert_ne!(
            base,
            fingerprint(1, "stock", "KeyError", Some(PY_A), "x", None)
        );
        let other = PY_A.replace("in reserve", "in release");
        assert_ne!(
            base,
            fingerprint(1, "stock", "OutOfStock", Some(&other), "x", None)
        );
    }

    #[test]
    fn without_a_stack_trace_the_operation_decides() {
        assert_eq!(
            fingerprint(1, "s", "E", None, "GET /a", None),
            fingerprint(1, "s", "E", None, "GET /a", None)
        );
        assert_ne!(
            fingerprint(1, "s", "E", None, "GET /a", None),
            fingerprint(1, "s", "E", None, "GET /b", None)
        );
    }

    #[test]
    fn a_custom_fingerprint_decides_alone_and_can_extend_the_default() {
        let custom = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        let a = fingerprint(1, "s", "E", Some(PY_A), "x", Some(&custom(&["db-down"])));
        let other = PY_A.replace("in reserve", "in release");
        assert_eq!(
            a,
            fingerprint(1, "s", "F", Some(&other), "y", Some(&custom(&["db-down"])))
        );
        assert_ne!(
            a,
            fingerprint(1, "t", "E", Some(PY_A), "x", Some(&custom(&["db-down"])))
        );
        assert_ne!(
            a,
            fingerprint(2, "s", "E", Some(PY_A), "x", Some(&custom(&["db-down"])))
        );
        let extended = custom(&["{{ default }}", "eu"]);
        let base = fingerprint(1, "s", "E", Some(PY_A), "x", Some(&extended));
        assert_eq!(
            base,
            fingerprint(1, "s", "E", Some(PY_B), "x", Some(&extended))
        );
        assert_ne!(
            base,
            fingerprint(1, "s", "E", Some(&other), "x", Some(&extended))
        );
        assert_ne!(base, fingerprint(1, "s", "E", Some(PY_A), "x", None));
    }

    #[test]
    fn java_frames_lose_line_numbers_and_addresses() {
        let java = "java.lang.IllegalStateException: x\n\tat com.shop.Stock.reserve(Stock.java:42)\n\tat com.shop.Api.checkout(Api.java:10)";
        assert_eq!(
            top_frames(java),
            [
                "at com.shop.Stock.reserve(Stock.java:)",
                "at com.shop.Api.checkout(Api.java:)"
            ]
        );
        assert_eq!(normalize("at 0x7ffde1 in main"), "at 0x in main");
    }
}
