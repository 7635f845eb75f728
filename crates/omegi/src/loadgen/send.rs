//! Sending one export the way a client of each protocol does: OTLP/HTTP with protobuf or JSON
//! bodies, OTLP/gRPC, or a Kafka message with the token in its header. Each send answers how
//! many of its spans were accepted; a refusal (a full queue, a bad token) is an outcome to
//! count, not a failure of the generator.

use std::time::Duration;

use anyhow::{bail, Context};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

/// The wire protocols the generator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// OTLP/HTTP, protobuf body (what the SDKs send by default).
    HttpProtobuf,
    /// OTLP/HTTP, JSON body.
    HttpJson,
    /// OTLP/gRPC.
    Grpc,
    /// OTLP protobuf messages on a Kafka topic (`--kafka-brokers`).
    Kafka,
}

/// What became of one export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored, except `rejected` spans the server named in a partial success.
    Accepted { rejected: u64 },
    /// Refused as a whole, with the status (HTTP status, gRPC code) as text.
    Refused(&'static str),
}

#[derive(Clone)]
pub enum Sender {
    Http {
        client: reqwest::Client,
        url: String,
        token: String,
        json: bool,
    },
    Grpc {
        client: TraceServiceClient<tonic::transport::Channel>,
        token: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    },
    #[cfg(feature = "kafka")]
    Kafka {
        producer: rdkafka::producer::FutureProducer,
        topic: String,
        token: String,
    },
}

impl Sender {
    pub async fn connect(
        protocol: Protocol,
        target: &str,
        token: &str,
        kafka: Option<(&str, &str)>,
    ) -> anyhow::Result<Sender> {
        let target = target.trim_end_matches('/');
        Ok(match protocol {
            Protocol::HttpProtobuf | Protocol::HttpJson => Sender::Http {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .pool_max_idle_per_host(256)
                    .build()?,
                url: if target.ends_with("/v1/traces") {
                    target.to_string()
                } else {
                    format!("{target}/v1/traces")
                },
                token: token.to_string(),
                json: protocol == Protocol::HttpJson,
            },
            Protocol::Grpc => {
                let channel = tonic::transport::Endpoint::from_shared(target.to_string())
                    .with_context(|| format!("{target} is not a gRPC address"))?
                    .connect()
                    .await
                    .with_context(|| format!("connecting to {target}"))?;
                Sender::Grpc {
                    client: TraceServiceClient::new(channel).max_decoding_message_size(64 << 20),
                    token: format!("Bearer {token}")
                        .parse()
                        .context("the token is not a valid gRPC metadata value")?,
                }
            }
            Protocol::Kafka => kafka_sender(kafka, token)?,
        })
    }

    /// Sends one export and waits for its answer.
    pub async fn send(&mut self, export: &ExportTraceServiceRequest) -> anyhow::Result<Outcome> {
        match self {
            Sender::Http {
                client,
                url,
                token,
                json,
            } => {
                let (body, content_type) = if *json {
                    (serde_json::to_vec(export)?, "application/json")
                } else {
                    (export.encode_to_vec(), "application/x-protobuf")
                };
                let reply = client
                    .post(url.as_str())
                    .bearer_auth(token)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await?;
                let status = reply.status();
                if !status.is_success() {
                    return Ok(Outcome::Refused(refusal(status.as_u16())));
                }
                let bytes = reply.bytes().await?;
                let answer = if *json {
                    serde_json::from_slice::<ExportTraceServiceResponse>(&bytes).unwrap_or_default()
                } else {
                    ExportTraceServiceResponse::decode(bytes).unwrap_or_default()
                };
                Ok(accepted(answer))
            }
            Sender::Grpc { client, token } => {
                let mut request = tonic::Request::new(export.clone());
                request
                    .metadata_mut()
                    .insert("authorization", token.clone());
                match client.export(request).await {
                    Ok(answer) => Ok(accepted(answer.into_inner())),
                    Err(status) => Ok(Outcome::Refused(grpc_refusal(status.code()))),
                }
            }
            #[cfg(feature = "kafka")]
            Sender::Kafka {
                producer,
                topic,
                token,
            } => {
                use rdkafka::message::{Header, OwnedHeaders};
                use rdkafka::producer::FutureRecord;
                let payload = export.encode_to_vec();
                let record = FutureRecord::<(), _>::to(topic.as_str())
                    .payload(&payload)
                    .headers(OwnedHeaders::new().insert(Header {
                        key: "omegi-token",
                        value: Some(token.as_str()),
                    }));
                match producer.send(record, Duration::from_secs(30)).await {
                    Ok(_) => Ok(Outcome::Accepted { rejected: 0 }),
                    Err((e, _)) => bail!("Kafka did not take the message: {e}"),
                }
            }
        }
    }
}

#[cfg(feature = "kafka")]
fn kafka_sender(kafka: Option<(&str, &str)>, token: &str) -> anyhow::Result<Sender> {
    use rdkafka::config::ClientConfig;
    let Some((brokers, topic)) = kafka else {
        bail!("--protocol kafka needs --kafka-brokers");
    };
    let producer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        // Batches of exports per request to the broker, as a busy agent's producer sends.
        .set("linger.ms", "5")
        .set("acks", "all")
        .set("message.max.bytes", "16000000")
        .create()
        .context("creating the Kafka producer")?;
    Ok(Sender::Kafka {
        producer,
        topic: topic.to_string(),
        token: token.to_string(),
    })
}

#[cfg(not(feature = "kafka"))]
fn kafka_sender(_: Option<(&str, &str)>, _: &str) -> anyhow::Result<Sender> {
    bail!("this omegi was built without Kafka (the cargo feature `kafka`)")
}

fn accepted(answer: ExportTraceServiceResponse) -> Outcome {
    let rejected = answer
        .partial_success
        .map(|p| u64::try_from(p.rejected_spans).unwrap_or(0))
        .unwrap_or(0);
    Outcome::Accepted { rejected }
}

fn refusal(status: u16) -> &'static str {
    match status {
        400 => "400 bad request",
        401 => "401 unauthorized",
        413 => "413 too large",
        429 => "429 too many requests",
        503 => "503 overloaded",
        s if s >= 500 => "5xx server error",
        _ => "4xx refused",
    }
}

fn grpc_refusal(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Unauthenticated => "grpc unauthenticated",
        tonic::Code::ResourceExhausted => "grpc resource exhausted",
        tonic::Code::Unavailable => "grpc unavailable",
        tonic::Code::InvalidArgument => "grpc invalid argument",
        _ => "grpc error",
    }
}
