//! OTLP/gRPC: the `TraceService/Export` method on its own port. The ingest token comes in the
//! `authorization: Bearer …` or `x-omegi-token` metadata.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::export;
use crate::http::ingest_token::{authenticate, token_in};
use crate::http::AppState;
use crate::pipeline::writer::WriteError;

pub struct GrpcTraces {
    state: AppState,
}

/// The gRPC service, accepting gzip and messages up to `--max-body`.
pub fn service(state: AppState) -> TraceServiceServer<GrpcTraces> {
    let limit = state.config.max_body;
    TraceServiceServer::new(GrpcTraces { state })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit)
}

#[tonic::async_trait]
impl TraceService for GrpcTraces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let headers = request.metadata().clone().into_headers();
        let owner = authenticate(&self.state, token_in(&headers))
            .await
            .map_err(|e| Status::unauthenticated(e.message))?;
        let state = &self.state;
        export(
            &state.writer,
            &state.services,
            &state.store,
            &owner,
            request.into_inner(),
        )
        .await
        .map(Response::new)
        .map_err(|e| match e {
            // UNAVAILABLE is the code OTLP exporters retry with back-off.
            WriteError::Overloaded | WriteError::Storage(_) | WriteError::Closed => {
                Status::unavailable(e.to_string())
            }
        })
    }
}
