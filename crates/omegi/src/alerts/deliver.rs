//! Sending one message to one channel: an HTTPS POST (signed for generic webhooks) or an
//! email over SMTP. What came back is reported, never retried here; the worker decides.

use hmac::{Hmac, Mac};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use super::message::AlertBody;
use super::render;
use crate::config::{SmtpConfig, SmtpTls};
use crate::model::{hex, ChannelKind};
use crate::store::ChannelRow;

/// How an attempt ended: the status the receiver answered, and the failure if any.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i64>,
    pub error: Option<String>,
}

impl Outcome {
    fn failed(code: Option<i64>, error: impl Into<String>) -> Outcome {
        Outcome {
            code,
            error: Some(error.into()),
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`, as sent in `X-Omegi-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC key");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Sends `body` to `channel`.
pub async fn send(
    client: &reqwest::Client,
    guard: super::guard::Guard,
    smtp: Option<&SmtpConfig>,
    channel: &ChannelRow,
    body: &AlertBody,
) -> Outcome {
    let kind = match channel.kind() {
        Ok(k) => k,
        Err(e) => return Outcome::failed(None, e.to_string()),
    };
    let json = match kind {
        ChannelKind::Webhook => serde_json::to_value(body).unwrap_or_default(),
        ChannelKind::Slack => render::slack(body),
        ChannelKind::Discord => render::discord(body),
        ChannelKind::Teams => render::teams(body),
        ChannelKind::Email => {
            return match smtp {
                Some(smtp) => email(smtp, &channel.target, body).await,
                None => Outcome::failed(None, "email alerts need --smtp-host"),
            }
        }
    };
    let url = match reqwest::Url::parse(&channel.target) {
        Ok(u) => u,
        Err(e) => return Outcome::failed(None, format!("the channel URL is invalid: {e}")),
    };
    if let Err(e) = guard.check_literal(&url) {
        return Outcome::failed(None, e);
    }
    let bytes = json.to_string().into_bytes();
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-omegi-delivery", &body.delivery_id)
        .header("x-omegi-event", &body.kind);
    if let Some(secret) = &channel.secret {
        req = req.header("x-omegi-signature", signature(secret, &bytes));
    }
    match req.body(bytes).send().await {
        Ok(resp) => {
            let status = resp.status();
            let code = Some(i64::from(status.as_u16()));
            if status.is_success() {
                Outcome { code, error: None }
            } else {
                let text = resp.text().await.unwrap_or_default();
                let text: String = text.chars().take(300).collect();
                Outcome::failed(code, format!("HTTP {status}: {text}"))
            }
        }
        // Without the URL: chat webhook URLs are credentials, and members read the history.
        Err(e) => Outcome::failed(None, error_chain(&e.without_url())),
    }
}

/// An error with its causes, which is where reqwest says what actually went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

async fn email(smtp: &SmtpConfig, to: &str, body: &AlertBody) -> Outcome {
    let (subject, text, html) = render::email(body);
    let message = match build_email(smtp, to, &subject, text, html, &body.delivery_id) {
        Ok(m) => m,
        Err(e) => return Outcome::failed(None, e),
    };
    let transport = match transport(smtp) {
        Ok(t) => t,
        Err(e) => return Outcome::failed(None, e),
    };
    match transport.send(message).await {
        Ok(resp) => Outcome {
            code: resp.code().to_string().parse().ok(),
            error: None,
        },
        Err(e) => Outcome::failed(
            e.status().and_then(|c| c.to_string().parse().ok()),
            error_chain(&e),
        ),
    }
}

fn build_email(
    smtp: &SmtpConfig,
    to: &str,
    subject: &str,
    text: String,
    html: String,
    delivery_id: &str,
) -> Result<Message, String> {
    let from: Mailbox = smtp.from.parse().map_err(|e| format!("--smtp-from: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject)
        .message_id(Some(format!("<{delivery_id}@omegi>")));
    for address in recipients(to) {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|e| format!("recipient {address:?}: {e}"))?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| e.to_string())
}

/// The addresses of an email channel's target.
pub fn recipients(target: &str) -> impl Iterator<Item = &str> {
    target.split(',').map(str::trim).filter(|a| !a.is_empty())
}

fn transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || TlsParameters::new(smtp.host.clone()).map_err(|e| e.to_string());
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .tls(match smtp.tls {
            SmtpTls::Starttls => Tls::Required(tls()?),
            SmtpTls::Tls => Tls::Wrapper(tls()?),
            SmtpTls::None => Tls::None,
        });
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
