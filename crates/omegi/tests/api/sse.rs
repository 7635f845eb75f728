//! A minimal Server-Sent Events reader for the tests.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::Api;

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

pub struct SseStream {
    resp: reqwest::Response,
    buf: String,
    /// Events read while looking for the other sort: stored events, `activity` hints.
    events: VecDeque<SseEvent>,
    activity: VecDeque<SseEvent>,
}

impl SseStream {
    pub async fn open(api: &Api, last_event_id: Option<&str>) -> SseStream {
        let mut req = api.http.get(format!("{}/api/events", api.base));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        SseStream {
            resp,
            buf: String::new(),
            events: VecDeque::new(),
            activity: VecDeque::new(),
        }
    }

    /// The next stored event (`activity` hints and comments such as heartbeats skipped), or
    /// None after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        self.next_of(false, wait).await
    }

    /// The next `activity` hint, or None after `wait`.
    pub async fn next_activity(&mut self, wait: Duration) -> Option<SseEvent> {
        self.next_of(true, wait).await
    }

    async fn next_of(&mut self, activity: bool, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let queue = if activity {
                &mut self.activity
            } else {
                &mut self.events
            };
            if let Some(event) = queue.pop_front() {
                return Some(event);
            }
            while let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                if let Some(event) = parse(&frame) {
                    if event.event == "activity" {
                        self.activity.push_back(event);
                    } else {
                        self.events.push_back(event);
                    }
                }
            }
            if !self.events.is_empty() && !activity || !self.activity.is_empty() && activity {
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?;
            self.buf
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()?));
        }
    }
}

fn parse(frame: &str) -> Option<SseEvent> {
    let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
    for line in frame.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(SseEvent {
        id,
        event,
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
    })
}
