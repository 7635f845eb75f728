//! Answers OTLP clients act on correctly: what is final is final, what is temporary says so.

use bytes::{Buf, BufMut};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use reqwest::StatusCode;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use crate::common::{database_url, TestServer};
use crate::otlp::{checkout, post, request, setup};

/// Sends raw bytes as the gRPC message, as a broken exporter would.
#[derive(Default)]
struct RawCodec;

struct RawEncoder;
struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = ();
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

async fn grpc_raw(t: &TestServer, token: &str, body: Vec<u8>) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(t.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut req = tonic::Request::new(body);
    req.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    grpc.unary(req, path, RawCodec).await.unwrap_err()
}

#[tokio::test]
async fn grpc_answers_invalid_argument_for_garbage_and_resource_exhausted_over_the_limit() {
    let t = TestServer::start_with(|c| c.max_body = 64 * 1024).await;
    let s = setup(&t).await;
    let status = grpc_raw(&t, &s.token, vec![0xff; 64]).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let status = grpc_raw(&t, &s.token, vec![0x0a; 200 * 1024]).await;
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_none());
}

#[tokio::test]
async fn a_token_that_cannot_be_checked_is_temporary_not_unauthenticated() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    // The token table goes away under the server: a storage failure, not a wrong token.
    let url = database_url(&t.database);
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE ingest_tokens RENAME TO ingest_tokens_away")
        .execute(&mut conn)
        .await
        .unwrap();

    let reply = post(&t, &s.token, "application/x-protobuf", Vec::new()).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert!(reply.headers.contains_key("retry-after"));
    let mut client = TraceServiceClient::connect(t.grpc.clone()).await.unwrap();
    let mut req = tonic::Request::new(request(checkout(1)));
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", s.token).parse().unwrap(),
    );
    let status = client.export(req).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    sqlx::query("ALTER TABLE ingest_tokens_away RENAME TO ingest_tokens")
        .execute(&mut conn)
        .await
        .unwrap();
    let reply = post(&t, &s.token, "application/x-protobuf", Vec::new()).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unsupported_encoding_and_a_json_body_that_is_no_object_get_clear_errors() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let reply = reqwest::Client::new()
        .post(format!("{}/v1/traces", t.base))
        .bearer_auth(&s.token)
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "br")
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    let reply = crate::common::Api::read(reply).await;
    let msg = reply.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding");
    assert!(msg.contains("\"br\""), "{msg}");
    for body in ["[]", "[[]]", "42", "\"spans\""] {
        post(&t, &s.token, "application/json", body.into())
            .await
            .expect_error(StatusCode::BAD_REQUEST, "malformed_json");
    }
}
