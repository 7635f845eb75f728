//! Ingestion creates a service the first time a span names it. This bounds how fast a project
//! gains new services, so one export naming ten thousand services cannot flood the project,
//! its service map and its settings; spans of services over the bound are rejected through
//! OTLP's partial success, with the reason, and are accepted again once the minute has passed.
//! The bound is per node: with several nodes a project may gain that many per node.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::decode::Decoded;
use crate::store::{Store, StoreError};

/// New services a project may gain per minute through ingestion.
pub const NEW_SERVICES_PER_MINUTE: usize = 50;
const WINDOW: Duration = Duration::from_secs(60);

pub struct ServiceGate {
    per_minute: usize,
    projects: Mutex<HashMap<i64, Known>>,
}

/// A project's services as this node knows them, and what it gained in the current minute.
struct Known {
    names: HashSet<String>,
    window_start: Instant,
    created: usize,
}

impl Default for ServiceGate {
    fn default() -> ServiceGate {
        ServiceGate::new(NEW_SERVICES_PER_MINUTE)
    }
}

impl ServiceGate {
    pub fn new(per_minute: usize) -> ServiceGate {
        ServiceGate {
            per_minute,
            projects: Mutex::new(HashMap::new()),
        }
    }

    /// Removes from `decoded` the spans of new services beyond the project's bound.
    pub async fn admit(
        &self,
        store: &Store,
        project: i64,
        decoded: &mut Decoded,
    ) -> Result<(), StoreError> {
        if !self.lock().contains_key(&project) {
            let existing = store.service_names(project).await?;
            self.lock().entry(project).or_insert_with(|| Known {
                names: existing.into_iter().collect(),
                window_start: Instant::now(),
                created: 0,
            });
        }
        let named: BTreeSet<&str> = decoded.spans.iter().map(|s| s.service.as_str()).collect();
        let refused: HashSet<String> = {
            let mut projects = self.lock();
            let Some(known) = projects.get_mut(&project) else {
                return Ok(());
            };
            if known.window_start.elapsed() >= WINDOW {
                known.window_start = Instant::now();
                known.created = 0;
            }
            let mut refused = HashSet::new();
            for name in named {
                if known.names.contains(name) {
                    continue;
                }
                if known.created < self.per_minute {
                    known.created += 1;
                    known.names.insert(name.to_string());
                } else {
                    refused.insert(name.to_string());
                }
            }
            refused
        };
        if !refused.is_empty() {
            let before = decoded.spans.len();
            decoded.spans.retain(|s| !refused.contains(&s.service));
            decoded.reject(
                before - decoded.spans.len(),
                format!(
                    "the project gained {} new services within a minute, the most it may; spans \
                     of {} more new services were rejected (send them again in a minute)",
                    self.per_minute,
                    refused.len()
                ),
            );
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Known>> {
        self.projects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
