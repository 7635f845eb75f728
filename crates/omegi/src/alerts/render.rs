//! An [`AlertBody`] in each channel's format: Slack Block Kit, Discord embeds, a Microsoft
//! Teams Adaptive Card, and email as plain text with an HTML alternative. The generic webhook
//! gets the body itself as JSON.

use serde_json::{json, Value};

use super::message::{first_line, headline, trigger_note, AlertBody, AlertItem, NoteQuote};

/// Most alerts spelled out in one digest; the rest are counted.
const DIGEST_SHOWN: usize = 10;

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
            "Resolved by {} at {}{}",
            r.resolved_by.as_deref().unwrap_or("someone"),
            r.resolved_at.as_deref().unwrap_or("an unknown time"),
            r.note
                .as_ref()
                .map(|n| format!(", see their note \"{}\"", n.title))
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

/// Slack Block Kit message (incoming webhook).
pub fn slack(body: &AlertBody) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": clip(&body.text, 150)}
    })];
    for item in body.alerts.iter().take(DIGEST_SHOWN) {
        let l = lines(item);
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!(
                "*<{}|{}>*\n{}", item.error.url, slack_escape(&l.title),
                slack_escape(&first_line(&item.error.message)))}
        }));
        blocks.push(json!({
            "type": "section",
            "fields": l.facts.iter().take(10).map(|(k, v)| json!({
                "type": "mrkdwn", "text": format!("*{k}*\n{}", slack_escape(v))
            })).collect::<Vec<_>>()
        }));
        if !l.flow.is_empty() {
            blocks.push(json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(&format!("*Flow*\n```{}```", slack_escape(&l.flow)), 2900)}
            }));
        }
        let mut know: Vec<String> = l
            .knowledge
            .iter()
            .map(|(label, n)| {
                format!(
                    "*{label}* <{}|{}> by {}\n>{}",
                    n.url,
                    slack_escape(&n.title),
                    slack_escape(&n.author),
                    slack_escape(&n.excerpt).replace('\n', "\n>")
                )
            })
            .collect();
        if let Some(r) = &l.resolution {
            know.insert(0, slack_escape(r));
        }
        if !know.is_empty() {
            blocks.push(json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(&know.join("\n"), 2900)}
            }));
        }
        blocks.push(json!({"type": "divider"}));
    }
    if let Some(more) = more(body) {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]}));
    }
    json!({"text": body.text, "blocks": blocks})
}

/// Discord webhook message: one embed an alert (Discord allows ten).
pub fn discord(body: &AlertBody) -> Value {
    let embeds: Vec<Value> = body
        .alerts
        .iter()
        .take(DIGEST_SHOWN)
        .map(|item| {
            let l = lines(item);
            let mut fields: Vec<Value> = l
                .facts
                .iter()
                .map(|(k, v)| json!({"name": k, "value": clip(v, 1024), "inline": true}))
                .collect();
            if !l.flow.is_empty() {
                fields.push(
                    json!({"name": "Flow", "value": clip(&format!("```{}```", l.flow), 1024)}),
                );
            }
            if let Some(r) = &l.resolution {
                fields.push(json!({"name": "Resolution", "value": clip(r, 1024)}));
            }
            for (label, n) in &l.knowledge {
                fields.push(json!({"name": label, "value": clip(
                    &format!("[{}]({}) by {}\n{}", n.title, n.url, n.author, n.excerpt), 1024)}));
            }
            json!({
                "title": clip(&l.title, 256),
                "url": item.error.url,
                "description": clip(&item.error.message, 4000),
                "color": 0xd9_3f_3f,
                "fields": fields.into_iter().take(25).collect::<Vec<_>>(),
            })
        })
        .collect();
    let content = match more(body) {
        Some(more) => format!("{}\n{more}", body.text),
        None => body.text.clone(),
    };
    json!({
        "content": clip(&content, 2000),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    })
}

/// Microsoft Teams incoming webhook (Workflows) message carrying an Adaptive Card.
pub fn teams(body: &AlertBody) -> Value {
    let mut card = vec![json!({
        "type": "TextBlock", "text": body.text, "weight": "Bolder", "size": "Medium", "wrap": true
    })];
    for item in body.alerts.iter().take(DIGEST_SHOWN) {
        let l = lines(item);
        card.push(json!({"type": "TextBlock", "text": format!("[{}]({})", l.title, item.error.url), "wrap": true, "weight": "Bolder"}));
        card.push(
            json!({"type": "TextBlock", "text": first_line(&item.error.message), "wrap": true}),
        );
        card.push(json!({"type": "FactSet", "facts": l.facts.iter().map(|(k, v)| json!({"title": k, "value": v})).collect::<Vec<_>>()}));
        if !l.flow.is_empty() {
            card.push(
                json!({"type": "TextBlock", "text": l.flow, "wrap": true, "fontType": "Monospace"}),
            );
        }
        if let Some(r) = &l.resolution {
            card.push(json!({"type": "TextBlock", "text": r, "wrap": true}));
        }
        for (label, n) in &l.knowledge {
            card.push(json!({"type": "TextBlock", "wrap": true,
                "text": format!("**{label}** [{}]({}) by {}\n\n{}", n.title, n.url, n.author, n.excerpt)}));
        }
    }
    if let Some(more) = more(body) {
        card.push(json!({"type": "TextBlock", "text": more, "isSubtle": true}));
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
    for item in body.alerts.iter().take(DIGEST_SHOWN) {
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

/// "…and 4 more" when a digest holds more alerts than are spelled out.
fn more(body: &AlertBody) -> Option<String> {
    (body.alerts.len() > DIGEST_SHOWN)
        .then(|| format!("…and {} more", body.alerts.len() - DIGEST_SHOWN))
}

/// At most `max` characters.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}
