//! An [`AlertBody`] in each channel's format: Slack Block Kit, Discord embeds, a Microsoft
//! Teams Adaptive Card, and email as plain text with an HTML alternative. The generic webhook
//! gets the body itself as JSON.

use serde_json::{json, Value};

use super::message::{clip, first_line, headline, trigger_note, AlertBody, AlertItem, NoteQuote};

/// Discord refuses a message whose embeds hold more than 6,000 characters in all.
const DISCORD_BUDGET: usize = 5_800;
/// Teams takes messages up to about 28 KB; the card's alerts stay within this many bytes.
const TEAMS_BUDGET: usize = 24_000;

/// The lines every format shows of one alert, as (label, text, link) in reading order.
struct Lines {
    title: String,
    facts: Vec<(String, String)>,
    flow: String,
    knowledge: Vec<(String, NoteQuote)>,
    resolution: Option<String>,
}

fn lines(item: &AlertItem) -> Lines {
    let e = &item.error;
    let mut facts = vec![
        ("Service".to_string(), e.service.clone()),
        (
            "Environment".to_string(),
            e.environment.clone().unwrap_or_else(|| "—".into()),
        ),
        ("Occurrences".to_string(), e.count.to_string()),
        ("First seen".to_string(), e.first_seen.clone()),
        ("Last seen".to_string(), e.last_seen.clone()),
        ("Rule".to_string(), item.rule.clone()),
    ];
    if let Some(note) = trigger_note(item) {
        facts.push(("Trigger".to_string(), note));
    }
    let mut knowledge: Vec<(String, NoteQuote)> = item
        .knowledge
        .notes
        .iter()
        .map(|n| ("Note on this error".to_string(), n.clone()))
        .collect();
    if let Some(n) = &item.knowledge.solved_before {
        knowledge.push(("Solved before?".to_string(), n.clone()));
    }
    let resolution = item.knowledge.resolution.as_ref().map(|r| {
        format!(
            "Fixed before by {} at {}{}{}",
            r.resolved_by.as_deref().unwrap_or("someone"),
            r.resolved_at.as_deref().unwrap_or("an unknown time"),
            r.release
                .as_deref()
                .map(|v| format!(" in release {v}"))
                .unwrap_or_default(),
            r.note
                .as_ref()
                .map(|n| format!(", see \"{}\" {}", n.title, n.url))
                .unwrap_or_default()
        )
    });
    Lines {
        title: headline(item),
        facts,
        flow: item.flow.join("\n"),
        knowledge,
        resolution,
    }
}

/// Slack's mrkdwn needs &, < and > escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack Block Kit message (incoming webhook): at most 1 + 5 × 5 + 1 blocks (Slack takes
/// 50), every text under Slack's 3,000 characters. Error and note text is escaped, so it
/// cannot mention anyone, link anywhere or break out of its formatting.
pub fn slack(body: &AlertBody) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": clip(&body.text, 150)}
    })];
    for item in &body.alerts {
        let l = lines(item);
        let heading = format!(
            "*<{}|{}>*\n{}",
            item.error.url,
            slack_escape(&clip(&l.title, 500)),
            slack_escape(&first_line(&item.error.message))
        );
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": heading}}));
        let fields: Vec<Value> = l
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{}", slack_escape(&clip(v, 300)))}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
        if !l.flow.is_empty() {
            let flow = format!("*Flow*\n```{}```", slack_escape(&clip(&l.flow, 2500)));
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": flow}}));
        }
        let mut know: Vec<String> = l
            .knowledge
            .iter()
            .map(|(label, n)| {
                format!(
                    "*{label}* <{}|{}> by {}\n>{}",
                    n.url,
                    slack_escape(&clip(&n.title, 200)),
                    slack_escape(&n.author),
                    slack_escape(&n.excerpt).replace('\n', "\n>")
                )
            })
            .collect();
        if let Some(r) = &l.resolution {
            know.insert(0, slack_escape(r));
        }
        if !know.is_empty() {
            // A cut inside an escape or a link is harmless: Slack shows it as text.
            let text = clip(&know.join("\n"), 2900);
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
        }
        blocks.push(json!({"type": "divider"}));
    }
    if let Some(more) = more(body) {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]}));
    }
    json!({"text": slack_escape(&body.text), "blocks": blocks})
}

/// Discord webhook message: one embed an alert, within Discord's limits (6,000 characters in
/// all embeds; alerts that do not fit are counted in the content). Text from errors and notes
/// is Markdown-escaped; mentions are off.
pub fn discord(body: &AlertBody) -> Value {
    let mut embeds: Vec<Value> = Vec::new();
    let mut used = 0;
    let mut left_out = body.omitted;
    for item in &body.alerts {
        let l = lines(item);
        let mut fields: Vec<(String, String)> = l
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), clip(&discord_escape(v), 200)))
            .collect();
        if !l.flow.is_empty() {
            let flow = format!("```{}```", clip(&l.flow.replace('`', "'"), 890));
            fields.push(("Flow".into(), flow));
        }
        if let Some(r) = &l.resolution {
            fields.push(("Resolution".into(), clip(&discord_escape(r), 400)));
        }
        for (label, n) in &l.knowledge {
            let quote = format!(
                "[{}]({}) by {}\n{}",
                discord_escape(&clip(&n.title, 100)),
                n.url,
                discord_escape(&n.author),
                discord_escape(&n.excerpt)
            );
            fields.push((label.clone(), clip(&quote, 600)));
        }
        let title = clip(&l.title, 256);
        let description = clip(&discord_escape(&item.error.message), 800);
        let size = title.chars().count()
            + description.chars().count()
            + fields
                .iter()
                .map(|(k, v)| k.chars().count() + v.chars().count())
                .sum::<usize>();
        if used + size > DISCORD_BUDGET {
            left_out += 1;
            continue;
        }
        used += size;
        let fields: Vec<Value> = fields
            .into_iter()
            .map(|(k, v)| json!({"name": k, "value": v, "inline": false}))
            .collect();
        embeds.push(json!({
            "title": title,
            "url": item.error.url,
            "description": description,
            "color": 0xd9_3f_3f,
            "fields": fields,
        }));
    }
    let mut content = discord_escape(&body.text);
    if left_out > 0 {
        content.push_str(&format!("\n…and {left_out} more"));
    }
    json!({
        "content": clip(&content, 2000),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    })
}

/// Discord Markdown with every formatting character escaped.
fn discord_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '#' | '<' | '@'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Microsoft Teams incoming webhook (Workflows) message carrying an Adaptive Card. Text from
/// errors and notes goes into `TextRun`s, which Teams shows as written (no Markdown); links
/// are buttons.
pub fn teams(body: &AlertBody) -> Value {
    let run = |text: &str, bold: bool, max: usize| json!({"type": "TextRun", "text": clip(text, max), "weight": if bold { "Bolder" } else { "Default" }});
    let rich = |inlines: Vec<Value>| json!({"type": "RichTextBlock", "inlines": inlines});
    let mut card = vec![rich(vec![run(&body.text, true, 300)])];
    let mut actions = Vec::new();
    let mut used = 0;
    let mut left_out = body.omitted;
    for item in &body.alerts {
        let l = lines(item);
        let mut blocks = vec![
            rich(vec![run(&l.title, true, 300)]),
            rich(vec![run(&first_line(&item.error.message), false, 500)]),
        ];
        for (k, v) in &l.facts {
            blocks.push(rich(vec![
                run(&format!("{k}: "), true, 50),
                run(v, false, 200),
            ]));
        }
        if !l.flow.is_empty() {
            blocks.push(rich(vec![
                json!({"type": "TextRun", "text": clip(&l.flow, 1500), "fontType": "Monospace"}),
            ]));
        }
        if let Some(r) = &l.resolution {
            blocks.push(rich(vec![run(r, false, 400)]));
        }
        let mut links = Vec::new();
        for (label, n) in &l.knowledge {
            blocks.push(rich(vec![
                run(&format!("{label} "), true, 50),
                run(&format!("{} by {}", n.title, n.author), false, 200),
            ]));
            blocks.push(rich(vec![run(&n.excerpt, false, 300)]));
            links.push(json!({"type": "Action.OpenUrl", "title": clip(&format!("Note: {}", n.title), 60), "url": n.url}));
        }
        links.push(json!({"type": "Action.OpenUrl", "title": clip(&format!("Open {}", item.error.exception_type), 60), "url": item.error.url}));
        let size = Value::from(blocks.clone()).to_string().len()
            + Value::from(links.clone()).to_string().len();
        if used + size > TEAMS_BUDGET {
            left_out += 1;
            continue;
        }
        used += size;
        card.extend(blocks);
        actions.extend(links);
    }
    if left_out > 0 {
        card.push(rich(vec![run(&format!("…and {left_out} more"), false, 50)]));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": card,
                "actions": actions,
            }
        }]
    })
}

/// An email: subject, plain text and HTML.
pub fn email(body: &AlertBody) -> (String, String, String) {
    use html_escape::encode_text as h;
    let subject = format!("[Omegi] {}", clip(&body.text, 180));
    let mut text = format!("{}\n\n", body.text);
    let mut html = format!("<h2>{}</h2>", h(&body.text));
    for item in &body.alerts {
        let l = lines(item);
        text.push_str(&format!(
            "{}\n{}\n{}\n\n",
            l.title, item.error.message, item.error.url
        ));
        html.push_str(&format!(
            "<h3><a href=\"{}\">{}</a></h3><p>{}</p><table>",
            h(&item.error.url),
            h(&l.title),
            h(&item.error.message)
        ));
        for (k, v) in &l.facts {
            text.push_str(&format!("{k}: {v}\n"));
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                h(k),
                h(v)
            ));
        }
        html.push_str("</table>");
        if !l.flow.is_empty() {
            text.push_str(&format!("\nFlow:\n{}\n", l.flow));
            html.push_str(&format!("<h4>Flow</h4><pre>{}</pre>", h(&l.flow)));
        }
        if let Some(r) = &l.resolution {
            text.push_str(&format!("\n{r}\n"));
            html.push_str(&format!("<p>{}</p>", h(r)));
        }
        for (label, n) in &l.knowledge {
            text.push_str(&format!(
                "\n{label}: {} by {}\n{}\n{}\n",
                n.title, n.author, n.url, n.excerpt
            ));
            html.push_str(&format!(
                "<h4>{}</h4><p><a href=\"{}\">{}</a> by {}</p><blockquote>{}</blockquote>",
                h(label),
                h(&n.url),
                h(&n.title),
                h(&n.author),
                h(&n.excerpt).replace('\n', "<br>")
            ));
        }
        text.push('\n');
    }
    if let Some(more) = more(body) {
        text.push_str(&more);
        html.push_str(&format!("<p>{}</p>", h(&more)));
    }
    (subject, text, html)
}

/// "…and 4 more" when a digest holds more errors than are spelled out.
fn more(body: &AlertBody) -> Option<String> {
    (body.omitted > 0).then(|| format!("…and {} more", body.omitted))
}

#[cfg(test)]
mod tests {
    use super::super::message::{ErrorFacts, Knowledge, ProjectRef, Resolution};
    use super::*;

    fn item(n: usize) -> AlertItem {
        let long = "x".repeat(5000);
        let note = NoteQuote {
            id: 1,
            title: format!("[click](https://evil.example) {long}"),
            excerpt: long.clone(),
            author: "alice".into(),
            url: "https://omegi.example/notes/1".into(),
        };
        AlertItem {
            rule: "r".into(),
            trigger: "regression".into(),
            detail: json!({}),
            error: ErrorFacts {
                id: n as i64,
                url: format!("https://omegi.example/errors/{n}"),
                exception_type: format!("Failure{n}"),
                message: format!("<!channel> <https://evil.example|login> @everyone {long}"),
                service: "inventory".into(),
                environment: Some("production".into()),
                count: 3,
                first_seen: "2026-11-26T08:00:00Z".into(),
                last_seen: "2026-11-26T08:01:00Z".into(),
                status: "unresolved".into(),
            },
            flow: (1..=200).map(|i| format!("{i}. svc: op {long}")).collect(),
            knowledge: Knowledge {
                notes: vec![note.clone(), note.clone(), note.clone()],
                solved_before: Some(note.clone()),
                resolution: Some(Resolution {
                    resolved_by: Some("alice".into()),
                    resolved_at: Some("2026-11-25T08:00:00Z".into()),
                    release: Some("1.4.2".into()),
                    note: Some(note),
                }),
            },
        }
    }

    fn digest() -> AlertBody {
        AlertBody {
            delivery_id: "d".into(),
            kind: "digest".into(),
            project: ProjectRef {
                id: 1,
                name: "shop".into(),
            },
            text: "[shop] 12 errors need attention".into(),
            alerts: (1..=5).map(item).collect(),
            omitted: 7,
        }
    }

    fn chars(v: &Value) -> usize {
        v.as_str().map_or(0, |s| s.chars().count())
    }

    #[test]
    fn a_large_slack_digest_stays_within_slacks_limits_and_escapes_error_text() {
        let m = slack(&digest());
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50, "{} blocks", blocks.len());
        for b in blocks {
            assert!(chars(&b["text"]["text"]) <= 3000);
            for f in b["fields"].as_array().into_iter().flatten() {
                assert!(chars(&f["text"]) <= 2000);
            }
        }
        let text = m.to_string();
        assert!(!text.contains("<!channel>"));
        assert!(!text.contains("<https://evil.example|login>"));
        assert!(text.contains("…and 7 more"));
    }

    #[test]
    fn a_large_discord_digest_stays_within_discords_limits_and_escapes_links() {
        let m = discord(&digest());
        let embeds = m["embeds"].as_array().unwrap();
        assert!(!embeds.is_empty() && embeds.len() <= 10);
        let mut total = 0;
        for e in embeds {
            assert!(chars(&e["title"]) <= 256);
            assert!(chars(&e["description"]) <= 4096);
            let fields = e["fields"].as_array().unwrap();
            assert!(fields.len() <= 25);
            total += chars(&e["title"]) + chars(&e["description"]);
            for f in fields {
                assert!(chars(&f["value"]) <= 1024 && chars(&f["name"]) <= 256);
                total += chars(&f["value"]) + chars(&f["name"]);
            }
        }
        assert!(total <= 6000, "{total} characters of embeds");
        assert!(chars(&m["content"]) <= 2000);
        assert!(m["content"].as_str().unwrap().contains("more"));
        assert!(!m.to_string().contains("[click](https://evil.example)"));
    }

    #[test]
    fn teams_shows_error_text_as_written_and_links_as_buttons() {
        let m = teams(&digest());
        let card = &m["attachments"][0]["content"];
        let kinds: Vec<&str> = card["body"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert!(kinds.iter().all(|k| *k == "RichTextBlock"));
        assert!(card["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["url"] == "https://omegi.example/errors/1"));
        assert!(
            m.to_string().len() < 28_000,
            "{} bytes",
            m.to_string().len()
        );
    }
}
