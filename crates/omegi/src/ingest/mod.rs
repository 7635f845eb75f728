//! Ingestion as a service, whatever the transport (OTLP/HTTP in `crate::http::otlp`, OTLP/gRPC
//! in `crate::grpc`, later Kafka): authenticate by ingest token (`auth.rs`), admit the export
//! into the in-flight budget (`budget.rs`), decode it into [`crate::model::SpanRecord`]s
//! (`decode.rs`, `otlp_json.rs`), bound new services (`gate.rs`), and hand the spans to the
//! span writer, answering only once they are stored. Stream consumers count what they did
//! in `consumed.rs`.

pub mod auth;
pub mod budget;
pub mod consumed;
pub mod decode;
pub mod gate;
pub mod otlp_json;

use std::sync::Arc;

use crate::metrics::{Metrics, Protocol};
use crate::model::SpanRecord;
use crate::pipeline::writer::{SpanWriter, WriteError};
use crate::store::{SentryKeyOwner, Store, TokenOwner};
use budget::IngestBudget;
use gate::ServiceGate;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};

/// What every receiver of traces shares. Cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    pub store: Store,
    pub writer: SpanWriter,
    pub budget: IngestBudget,
    gate: Arc<ServiceGate>,
    token_use: Arc<auth::TokenUse>,
    sentry_key_use: Arc<auth::TokenUse>,
    recent_owners: Arc<auth::RecentOwners>,
    /// What the Kafka consumer of this node did (zero when Kafka is off).
    pub consumed: Arc<consumed::ConsumerStats>,
    pub metrics: Arc<Metrics>,
}

impl Ingest {
    pub fn new(
        store: Store,
        writer: SpanWriter,
        inflight_bytes: usize,
        metrics: Arc<Metrics>,
    ) -> Ingest {
        Ingest {
            store,
            writer,
            budget: IngestBudget::new(inflight_bytes),
            gate: Default::default(),
            token_use: Default::default(),
            sentry_key_use: Default::default(),
            recent_owners: Default::default(),
            consumed: Default::default(),
            metrics,
        }
    }

    /// The project and service of an ingest token.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<TokenOwner, auth::AuthError> {
        auth::authenticate(&self.store, &self.token_use, token).await
    }

    /// The project and service of a Sentry DSN public key.
    pub async fn authenticate_sentry(
        &self,
        key: Option<&str>,
    ) -> Result<SentryKeyOwner, auth::AuthError> {
        auth::authenticate_sentry(&self.store, &self.sentry_key_use, key).await
    }

    /// Stores spans a transport made itself (from Sentry events), admitted and counted as an
    /// export's are; answers once they are stored. What was held back is in the answer.
    pub async fn store_spans(
        &self,
        via: Protocol,
        project: i64,
        spans: Vec<SpanRecord>,
    ) -> Result<decode::Decoded, WriteError> {
        let mut decoded = decode::Decoded {
            spans,
            ..Default::default()
        };
        self.admit_counted(via, project, &mut decoded).await?;
        self.write(via, std::mem::take(&mut decoded.spans)).await?;
        Ok(decoded)
    }

    /// The same, answered from tokens checked in the last few seconds when it can
    /// ([`auth::RECENT_FOR`]): for stream consumers, where a message may be one trace.
    pub async fn authenticate_recent(
        &self,
        token: Option<&str>,
    ) -> Result<TokenOwner, auth::AuthError> {
        if let Some(owner) = token.and_then(|t| self.recent_owners.get(t)) {
            return Ok(owner);
        }
        let owner = self.authenticate(token).await?;
        if let Some(t) = token {
            self.recent_owners.put(t, &owner);
        }
        Ok(owner)
    }

    /// Decodes and stores one export request; the answer is what OTLP calls success or
    /// partial success. Errors are only the retryable kind (overload, storage failure).
    pub async fn export(
        &self,
        via: Protocol,
        owner: &TokenOwner,
        request: ExportTraceServiceRequest,
    ) -> Result<ExportTraceServiceResponse, WriteError> {
        let mut decoded = self.decode(via, owner, request).await?;
        self.write(via, std::mem::take(&mut decoded.spans)).await?;
        let partial_success = (decoded.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: decoded.rejected,
            error_message: decoded.problems.join("; "),
        });
        Ok(ExportTraceServiceResponse { partial_success })
    }

    /// Decodes a request into the spans that may be stored (what `export` writes), for a
    /// transport that writes them itself.
    pub async fn decode(
        &self,
        via: Protocol,
        owner: &TokenOwner,
        request: ExportTraceServiceRequest,
    ) -> Result<decode::Decoded, WriteError> {
        let mut decoded = decode::spans(owner, request);
        self.admit_counted(via, owner.project_id, &mut decoded)
            .await?;
        Ok(decoded)
    }

    /// [`Ingest::admit`], counting what was received and why spans were rejected (those
    /// rejected before it were invalid).
    async fn admit_counted(
        &self,
        via: Protocol,
        project: i64,
        decoded: &mut decode::Decoded,
    ) -> Result<(), WriteError> {
        let invalid = decoded.rejected;
        self.admit(project, decoded).await?;
        self.metrics
            .received(via, decoded.spans.len() + decoded.rejected as usize);
        self.metrics
            .rejected(via, "invalid", u64::try_from(invalid).unwrap_or(0));
        self.metrics.rejected(
            via,
            "new_services_limited",
            u64::try_from(decoded.rejected - invalid).unwrap_or(0),
        );
        Ok(())
    }

    /// Hands spans to the span writer, answering once they are stored; refusals counted.
    async fn write(&self, via: Protocol, spans: Vec<SpanRecord>) -> Result<(), WriteError> {
        if spans.is_empty() {
            return Ok(());
        }
        let n = spans.len() as u64;
        self.writer
            .write(spans)
            .await
            .inspect_err(|e| self.metrics.rejected(via, e.reason(), n))
    }

    /// Holds back the spans of services beyond the project's rate of new services
    /// (`gate.rs`); may be called again after a storage failure.
    pub async fn admit(
        &self,
        project: i64,
        decoded: &mut decode::Decoded,
    ) -> Result<(), WriteError> {
        self.gate
            .admit(&self.store, project, decoded)
            .await
            .map_err(|e| WriteError::Storage(e.to_string()))
    }
}
