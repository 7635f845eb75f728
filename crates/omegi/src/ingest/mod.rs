//! Ingestion as a service, whatever the transport (OTLP/HTTP in `crate::http::otlp`, OTLP/gRPC
//! in `crate::grpc`, later Kafka): authenticate by ingest token (`auth.rs`), admit the export
//! into the in-flight budget (`budget.rs`), decode it into [`crate::model::SpanRecord`]s
//! (`decode.rs`, `otlp_json.rs`), bound new services (`gate.rs`), and hand the spans to the
//! span writer, answering only once they are stored.

pub mod auth;
pub mod budget;
pub mod decode;
pub mod gate;
pub mod otlp_json;

use std::sync::Arc;

use crate::pipeline::writer::{SpanWriter, WriteError};
use crate::store::{Store, TokenOwner};
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
}

impl Ingest {
    pub fn new(store: Store, writer: SpanWriter, inflight_bytes: usize) -> Ingest {
        Ingest {
            store,
            writer,
            budget: IngestBudget::new(inflight_bytes),
            gate: Default::default(),
            token_use: Default::default(),
        }
    }

    /// The project and service of an ingest token.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<TokenOwner, auth::AuthError> {
        auth::authenticate(&self.store, &self.token_use, token).await
    }

    /// Decodes and stores one export request; the answer is what OTLP calls success or
    /// partial success. Errors are only the retryable kind (overload, storage failure).
    pub async fn export(
        &self,
        owner: &TokenOwner,
        request: ExportTraceServiceRequest,
    ) -> Result<ExportTraceServiceResponse, WriteError> {
        let mut decoded = decode::spans(owner, request);
        self.gate
            .admit(&self.store, owner.project_id, &mut decoded)
            .await
            .map_err(|e| WriteError::Storage(e.to_string()))?;
        if !decoded.spans.is_empty() {
            self.writer.write(decoded.spans).await?;
        }
        let partial_success = (decoded.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: decoded.rejected,
            error_message: decoded.problems.join("; "),
        });
        Ok(ExportTraceServiceResponse { partial_success })
    }
}
