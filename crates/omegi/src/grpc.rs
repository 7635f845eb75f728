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

use crate::ingest::auth::{token_in, AuthError};
use crate::ingest::budget::IngestBudget;
use crate::ingest::Ingest;
use crate::metrics::Protocol;
use crate::pipeline::writer::WriteError;

pub struct GrpcTraces {
    ingest: Ingest,
}

/// The gRPC service, accepting gzip and messages up to `--max-body`.
pub fn service(ingest: Ingest, max_body: usize) -> TraceServiceServer<GrpcTraces> {
    TraceServiceServer::new(GrpcTraces { ingest })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max_body)
}

#[tonic::async_trait]
impl TraceService for GrpcTraces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        let headers = metadata.into_headers();
        let owner = self
            .ingest
            .authenticate(token_in(&headers))
            .await
            .map_err(|e| {
                let (status, reason) = match e {
                    AuthError::Unauthenticated(_) => {
                        (Status::unauthenticated(e.to_string()), "unauthenticated")
                    }
                    AuthError::Unavailable => (Status::unavailable(e.to_string()), "unavailable"),
                };
                self.ingest.metrics.refused(Protocol::Grpc, reason);
                status
            })?;
        self.ingest
            .export(Protocol::Grpc, &owner, request)
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

/// Admits each gRPC export into the in-flight budget before its message is read, counting it
/// as `--max-body` (its size is unknown until read), or answers UNAVAILABLE at once.
#[derive(Clone)]
pub struct AdmitLayer {
    pub budget: IngestBudget,
    pub size: usize,
}

impl<S> tower::Layer<S> for AdmitLayer {
    type Service = Admit<S>;

    fn layer(&self, inner: S) -> Admit<S> {
        Admit {
            inner,
            budget: self.budget.clone(),
            size: self.size,
        }
    }
}

#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    budget: IngestBudget,
    size: usize,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<axum::http::Request<ReqBody>> for Admit<S>
where
    S: tower::Service<axum::http::Request<ReqBody>, Response = axum::http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<ReqBody>) -> Self::Future {
        match self.budget.try_reserve(self.size) {
            Some(reserved) => {
                let answer = self.inner.call(request);
                Box::pin(async move {
                    let answer = answer.await;
                    drop(reserved);
                    answer
                })
            }
            None => {
                let status = Status::unavailable(crate::ingest::budget::OVERLOADED);
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}
