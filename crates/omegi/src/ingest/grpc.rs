//! OTLP/gRPC: the `TraceService/Export` method on its own port. The ingest token comes in the
//! `authorization: Bearer …` or `x-omegi-token` metadata.

use axum::http::StatusCode;
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
            .map_err(|e| match e.status {
                StatusCode::UNAUTHORIZED => Status::unauthenticated(e.message),
                _ => Status::unavailable(e.message),
            })?;
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

/// Rewrites two status codes of tonic's own so OTLP exporters act on them correctly: a body
/// that is not protobuf is the client's mistake (INVALID_ARGUMENT, not INTERNAL, which
/// exporters retry), and a message over the size limit is RESOURCE_EXHAUSTED without retry
/// information (not OUT_OF_RANGE), so exporters drop it instead of sending it again. The
/// status travels in the headers (trailers-only answers) or in the trailers.
pub fn status_for_exporters<B>(
    response: axum::http::Response<B>,
) -> axum::http::Response<StatusBody<B>> {
    let (mut parts, body) = response.into_parts();
    rewrite_status(&mut parts.headers);
    axum::http::Response::from_parts(parts, StatusBody { inner: body })
}

fn rewrite_status(headers: &mut axum::http::HeaderMap) {
    let code = headers.get("grpc-status").map(|v| v.as_bytes().to_vec());
    // grpc-message is percent-encoded; spaces are all these messages need decoded.
    let message = headers
        .get("grpc-message")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).replace("%20", " "))
        .unwrap_or_default();
    let replacement = match code.as_deref() {
        Some(b"13") if message.starts_with("failed to decode Protobuf message") => Some("3"),
        Some(b"11") if message.contains("message length too large") => Some("8"),
        _ => None,
    };
    if let Some(code) = replacement {
        headers.insert("grpc-status", axum::http::HeaderValue::from_static(code));
    }
}

/// A response body whose trailers get [`rewrite_status`].
pub struct StatusBody<B> {
    inner: B,
}

impl<B: http_body::Body + Unpin> http_body::Body for StatusBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_ok(|mut frame| {
                if let Some(trailers) = frame.trailers_mut() {
                    rewrite_status(trailers);
                }
                frame
            })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
