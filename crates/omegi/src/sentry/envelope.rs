//! The Sentry envelope format: a JSON header line, then items, each a JSON header line and a
//! payload of `length` bytes (or, without `length`, up to the end of the line).

use serde_json::{Map, Value};

/// One item of an envelope.
#[derive(Debug)]
pub struct Item<'a> {
    /// `event`, `transaction`, `session`, `attachment`, … as the item header names it.
    pub kind: String,
    pub payload: &'a [u8],
}

#[derive(Debug)]
pub struct Envelope<'a> {
    pub header: Map<String, Value>,
    pub items: Vec<Item<'a>>,
}

/// Most items one envelope may hold; SDKs send a few.
const MAX_ITEMS: usize = 1_000;

/// Parses an envelope; the error names what is wrong and where.
pub fn parse(body: &[u8]) -> Result<Envelope<'_>, String> {
    let (line, mut rest) = next_line(body);
    let header = object(line).map_err(|e| format!("envelope header: {e}"))?;
    let mut items = Vec::new();
    loop {
        // Blank lines between items (and a trailing newline) carry nothing.
        while let Some(tail) = rest
            .strip_prefix(b"\n")
            .or_else(|| rest.strip_prefix(b"\r\n"))
        {
            rest = tail;
        }
        if rest.is_empty() {
            break;
        }
        let n = items.len() + 1;
        if n > MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} items"));
        }
        let (line, tail) = next_line(rest);
        let item = object(line).map_err(|e| format!("item {n} header: {e}"))?;
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("item {n} header: no \"type\""))?
            .to_string();
        let (payload, tail) = match item.get("length") {
            None | Some(Value::Null) => next_line(tail),
            Some(length) => {
                let len = length
                    .as_u64()
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(|| format!("item {n} header: \"length\" is not a byte count"))?;
                if len > tail.len() {
                    return Err(format!(
                        "item {n} ({kind}) says it has {len} bytes, but {} are left",
                        tail.len()
                    ));
                }
                tail.split_at(len)
            }
        };
        items.push(Item { kind, payload });
        rest = tail;
    }
    Ok(Envelope { header, items })
}

/// The bytes up to the next newline, and what follows it.
fn next_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[]),
    }
}

/// A JSON object; an empty line is an empty object.
pub fn object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let bytes = bytes.trim_ascii();
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not a JSON object".to_string()),
        Err(e) => Err(format!("not JSON ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_with_and_without_length() {
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n\
            {\"type\":\"attachment\",\"length\":10}\n\xef\xbb\xbfHello\r\n\n\
            {\"type\":\"event\"}\n{\"message\":\"hi\"}\n\
            {\"type\":\"session\",\"length\":2}\n{}";
        let e = parse(body).unwrap();
        assert_eq!(e.header["event_id"], "9ec79c33ec9942ab8353589fcb2e04dc");
        let kinds: Vec<_> = e.items.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, ["attachment", "event", "session"]);
        assert_eq!(e.items[0].payload, b"\xef\xbb\xbfHello\r\n");
        assert_eq!(e.items[1].payload, b"{\"message\":\"hi\"}");
        assert_eq!(e.items[2].payload, b"{}");
    }

    #[test]
    fn problems_are_named() {
        assert!(parse(b"not json\n")
            .unwrap_err()
            .contains("envelope header"));
        assert!(parse(b"{}\n{\"length\":2}\n{}")
            .unwrap_err()
            .contains("item 1 header: no \"type\""));
        assert!(parse(b"{}\n{\"type\":\"event\",\"length\":99}\n{}")
            .unwrap_err()
            .contains("says it has 99 bytes"));
        assert!(parse(b"{}\n{\"type\":\"event\",\"length\":-1}\n{}").is_err());
        assert!(parse(b"{}\n[1]\n")
            .unwrap_err()
            .contains("not a JSON object"));
    }
}
