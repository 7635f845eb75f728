//! Reported exceptions, read from a Sentry event and written out as the stack trace text the
//! platform itself prints, so the Log reads as usual and grouping by top frames works on it.

use serde_json::Value;

use crate::model::{Frame, ReportedException};

/// The exceptions of `exception.values` (or a bare list), in the order a stack trace prints
/// them: the one raised last (the primary, last in Sentry's order) first, then its causes.
/// Frames newest call first.
pub fn exceptions(event: &Value) -> Vec<ReportedException> {
    let exception = event.get("exception");
    let values = exception
        .and_then(|e| e.get("values"))
        .or(exception)
        .and_then(Value::as_array);
    let mut out: Vec<ReportedException> = values
        .into_iter()
        .flatten()
        .filter(|v| v.is_object())
        .map(exception_of)
        .collect();
    out.reverse();
    out
}

fn exception_of(v: &Value) -> ReportedException {
    let mut frames: Vec<Frame> = v
        .pointer("/stacktrace/frames")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(frame)
        .collect();
    // Sentry orders frames oldest call first.
    frames.reverse();
    ReportedException {
        exception_type: text(v, "type").unwrap_or_else(|| "Error".to_string()),
        value: text(v, "value").unwrap_or_default(),
        module: text(v, "module"),
        mechanism: v.get("mechanism").filter(|m| m.is_object()).cloned(),
        frames,
    }
}

fn frame(v: &Value) -> Frame {
    let lines = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    Frame {
        function: text(v, "function"),
        module: text(v, "module"),
        filename: text(v, "filename"),
        abs_path: text(v, "abs_path"),
        lineno: v.get("lineno").and_then(Value::as_i64),
        colno: v.get("colno").and_then(Value::as_i64),
        in_app: v.get("in_app").and_then(Value::as_bool),
        context_line: text(v, "context_line"),
        pre_context: lines("pre_context"),
        post_context: lines("post_context"),
    }
}

pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The exception's type as OpenTelemetry SDKs of the same platform record it (module
/// qualified, except Python's built-ins), so errors group and match the same either way.
pub fn qualified_type(platform: &str, e: &ReportedException) -> String {
    match e.module.as_deref() {
        Some(m) if platform == "python" && !matches!(m, "builtins" | "exceptions") => {
            format!("{m}.{}", e.exception_type)
        }
        Some(m) if platform == "java" && !e.exception_type.contains('.') => {
            format!("{m}.{}", e.exception_type)
        }
        _ => e.exception_type.clone(),
    }
}

/// The chain as the platform prints it.
pub fn render(platform: &str, chain: &[ReportedException]) -> String {
    if platform == "python" {
        return python(chain);
    }
    let mut out = String::new();
    for (n, e) in chain.iter().enumerate() {
        if n > 0 {
            out.push_str("Caused by: ");
        }
        out.push_str(&headline(platform, e));
        out.push('\n');
        for f in &e.frames {
            out.push_str(&at_line(platform, f));
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

fn headline(platform: &str, e: &ReportedException) -> String {
    let ty = qualified_type(platform, e);
    if e.value.is_empty() {
        ty
    } else {
        format!("{ty}: {}", e.value)
    }
}

fn at_line(platform: &str, f: &Frame) -> String {
    let function = f.function.as_deref().unwrap_or("<anonymous>");
    let file = f
        .filename
        .as_deref()
        .or(f.abs_path.as_deref())
        .unwrap_or("<unknown>");
    if platform == "java" {
        let method = match f.module.as_deref() {
            Some(m) => format!("{m}.{function}"),
            None => function.to_string(),
        };
        return match f.lineno {
            Some(line) => format!("\tat {method}({file}:{line})"),
            None => format!("\tat {method}({file})"),
        };
    }
    let path = f.abs_path.as_deref().unwrap_or(file);
    match (f.lineno, f.colno) {
        (Some(l), Some(c)) => format!("    at {function} ({path}:{l}:{c})"),
        (Some(l), None) => format!("    at {function} ({path}:{l})"),
        _ => format!("    at {function} ({path})"),
    }
}

/// Python prints the oldest cause first, each traceback oldest call first.
fn python(chain: &[ReportedException]) -> String {
    let mut out = String::new();
    let oldest_first: Vec<&ReportedException> = chain.iter().rev().collect();
    for (n, e) in oldest_first.iter().enumerate() {
        if n > 0 {
            // How an exception was chained is told on the older one (`__context__`, implicit,
            // or `__cause__`, from `raise … from`).
            let implicit = oldest_first[n - 1]
                .mechanism
                .as_ref()
                .and_then(|m| m.get("source"))
                .and_then(Value::as_str)
                == Some("__context__");
            out.push_str(if implicit {
                "\nDuring handling of the above exception, another exception occurred:\n\n"
            } else {
                "\nThe above exception was the direct cause of the following exception:\n\n"
            });
        }
        out.push_str("Traceback (most recent call last):\n");
        for f in e.frames.iter().rev() {
            let file = f
                .abs_path
                .as_deref()
                .or(f.filename.as_deref())
                .unwrap_or("<unknown>");
            let function = f.function.as_deref().unwrap_or("<module>");
            match f.lineno {
                Some(line) => {
                    out.push_str(&format!("  File \"{file}\", line {line}, in {function}\n"))
                }
                None => out.push_str(&format!("  File \"{file}\", in {function}\n")),
            }
            if let Some(code) = f
                .context_line
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                out.push_str(&format!("    {code}\n"));
            }
        }
        out.push_str(&headline("python", e));
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({"exception": {"values": [
            {"type": "KeyError", "value": "'sku'", "module": "builtins",
             "stacktrace": {"frames": [
                {"function": "checkout", "abs_path": "/app/shop.py", "lineno": 10, "in_app": true, "context_line": "  reserve()"},
                {"function": "reserve", "abs_path": "/app/stock.py", "lineno": 42, "in_app": true, "context_line": "stock[sku]"}
             ]}},
            {"type": "OutOfStock", "value": "sku 1", "module": "shop.stock",
             "mechanism": {"type": "flask", "handled": false, "source": "__cause__"},
             "stacktrace": {"frames": [
                {"function": "dispatch", "module": "flask.app", "abs_path": "/venv/flask/app.py", "lineno": 5, "in_app": false},
                {"function": "reserve", "abs_path": "/app/stock.py", "lineno": 44, "in_app": true}
             ]}}
        ]}})
    }

    #[test]
    fn the_primary_exception_comes_first_with_its_newest_frame_first() {
        let chain = exceptions(&event());
        assert_eq!(chain[0].exception_type, "OutOfStock");
        assert_eq!(chain[0].frames[0].function.as_deref(), Some("reserve"));
        assert_eq!(chain[1].exception_type, "KeyError");
        assert_eq!(qualified_type("python", &chain[0]), "shop.stock.OutOfStock");
        assert_eq!(qualified_type("python", &chain[1]), "KeyError");
    }

    #[test]
    fn python_chains_print_as_python_does() {
        let text = render("python", &exceptions(&event()));
        assert_eq!(
            text,
            "Traceback (most recent call last):\n  File \"/app/shop.py\", line 10, in checkout\n    reserve()\n  File \"/app/stock.py\", line 42, in reserve\n    stock[sku]\nKeyError: 'sku'\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"/venv/flask/app.py\", line 5, in dispatch\n  File \"/app/stock.py\", line 44, in reserve\nshop.stock.OutOfStock: sku 1"
        );
    }

    #[test]
    fn java_and_node_print_newest_first_with_causes_after() {
        let java = json!({"exception": {"values": [
            {"type": "SQLException", "value": "down", "module": "java.sql",
             "stacktrace": {"frames": [{"function": "query", "module": "com.shop.Db", "filename": "Db.java", "lineno": 7}]}},
            {"type": "IllegalStateException", "value": "no stock", "module": "java.lang",
             "stacktrace": {"frames": [
                {"function": "main", "module": "com.shop.App", "filename": "App.java", "lineno": 3},
                {"function": "reserve", "module": "com.shop.Stock", "filename": "Stock.java", "lineno": 42}]}}
        ]}});
        assert_eq!(
            render("java", &exceptions(&java)),
            "java.lang.IllegalStateException: no stock\n\tat com.shop.Stock.reserve(Stock.java:42)\n\tat com.shop.App.main(App.java:3)\nCaused by: java.sql.SQLException: down\n\tat com.shop.Db.query(Db.java:7)"
        );
        let node = json!({"exception": {"values": [{"type": "TypeError", "value": "x is undefined",
            "stacktrace": {"frames": [{"function": "handler", "abs_path": "/app/index.js", "lineno": 3, "colno": 9}]}}]}});
        assert_eq!(
            render("node", &exceptions(&node)),
            "TypeError: x is undefined\n    at handler (/app/index.js:3:9)"
        );
    }
}
