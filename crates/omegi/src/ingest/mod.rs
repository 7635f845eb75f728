//! Receivers of OpenTelemetry traces: OTLP/HTTP (`http.rs`) and OTLP/gRPC (`grpc.rs`). Both
//! authenticate by ingest token, decode into [`crate::model::SpanRecord`]s (`decode.rs`) and
//! hand them to the span writer, answering only once the spans are stored.

pub mod budget;
pub mod decode;
pub mod gate;
pub mod grpc;
pub mod http;
pub mod otlp_json;

use crate::pipeline::writer::{SpanWriter, WriteError};
use crate::store::{Store, TokenOwner};
use gate::ServiceGate;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};

/// Decodes and stores one export request; the answer is what OTLP calls success or partial
/// success. Errors are only the retryable kind (overload, storage failure).
pub async fn export(
    writer: &SpanWriter,
    gate: &ServiceGate,
    store: &Store,
    owner: &TokenOwner,
    request: ExportTraceServiceRequest,
) -> Result<ExportTraceServiceResponse, WriteError> {
    let mut decoded = decode::spans(owner, request);
    gate.admit(store, owner.project_id, &mut decoded)
        .await
        .map_err(|e| WriteError::Storage(e.to_string()))?;
    if !decoded.spans.is_empty() {
        writer.write(decoded.spans).await?;
    }
    let partial_success = (decoded.rejected > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: decoded.rejected,
        error_message: decoded.problems.join("; "),
    });
    Ok(ExportTraceServiceResponse { partial_success })
}
