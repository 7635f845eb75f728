//! Kafka ingestion through a real Apache Kafka broker (started by scripts/test.sh, whose
//! address is in `OMEGI_TEST_KAFKA_BROKERS`): messages become errors, bad messages are skipped
//! without blocking their partition, and nodes sharing a consumer group lose nothing when one
//! of them is killed.

use std::collections::HashSet;
use std::time::Duration;

use prost::Message as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::StatusCode;
use sqlx::Connection;

use crate::common::{database_url, fresh_database, on_postgres, Process, TestServer};
use crate::otlp::*;

/// The broker, or `None` (test skipped) outside CI when none was started.
fn brokers() -> Option<String> {
    match std::env::var("OMEGI_TEST_KAFKA_BROKERS") {
        Ok(b) => Some(b),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("OMEGI_TEST_KAFKA_BROKERS must be set under CI (scripts/test.sh starts Kafka)")
        }
        Err(_) => {
            eprintln!("no Kafka broker (OMEGI_TEST_KAFKA_BROKERS): Kafka test skipped");
            None
        }
    }
}

/// A new topic with `partitions` partitions.
async fn topic(brokers: &str, partitions: i32) -> String {
    let name = format!(
        "omegi-test-{}",
        omegi::auth::secret::generate().to_lowercase()
    );
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let created = admin
        .create_topics(
            &[NewTopic::new(&name, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    name
}

/// Consuming `topic` in a group of its own: another test's consumer joining a shared group
/// would make this one re-read messages (harmless, but counted twice).
fn consuming(brokers: &str, topic: &str) -> omegi::config::KafkaConfig {
    omegi::config::KafkaConfig {
        brokers: brokers.into(),
        topic: topic.into(),
        group: topic.into(),
    }
}

fn producer(brokers: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .create()
        .unwrap()
}

/// Publishes `payload` to `partition` of `topic`, with the token header when given.
async fn publish(
    producer: &FutureProducer,
    topic: &str,
    partition: Option<i32>,
    key: &str,
    token: Option<&str>,
    payload: &[u8],
) {
    let mut record = FutureRecord::to(topic).key(key).payload(payload);
    if let Some(p) = partition {
        record = record.partition(p);
    }
    if let Some(token) = token {
        record = record.headers(OwnedHeaders::new().insert(Header {
            key: "omegi-token",
            value: Some(token),
        }));
    }
    producer
        .send(record, Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
}

/// One failing trace per message, the token in the resource attribute `omegi.token`, as an
/// OpenTelemetry Collector pipeline sends it.
fn with_token_attribute(
    mut request: ExportTraceServiceRequest,
    token: &str,
) -> ExportTraceServiceRequest {
    for r in &mut request.resource_spans {
        r.resource
            .get_or_insert_with(Default::default)
            .attributes
            .push(kv("omegi.token", token));
    }
    request
}

#[tokio::test]
async fn bad_messages_are_skipped_and_the_ones_after_them_become_errors() {
    let Some(brokers) = brokers() else { return };
    let topic = topic(&brokers, 1).await;
    let t = TestServer::start_with(|c| c.kafka = Some(consuming(&brokers, &topic))).await;
    let ingest = setup(&t).await;
    let producer = producer(&brokers);
    let good = request(checkout(1)).encode_to_vec();
    // All in one partition, in this order: a poison message, one with a revoked-looking
    // token, one with no token, then two good ones (header token, resource attribute token).
    publish(
        &producer,
        &topic,
        Some(0),
        "p",
        Some(&ingest.token),
        b"\x00not protobuf\xff",
    )
    .await;
    publish(
        &producer,
        &topic,
        Some(0),
        "b",
        Some("omg_not_a_token"),
        &good,
    )
    .await;
    publish(&producer, &topic, Some(0), "n", None, &good).await;
    publish(&producer, &topic, Some(0), "1", Some(&ingest.token), &good).await;
    let second = with_token_attribute(request(checkout(2)), &ingest.token).encode_to_vec();
    publish(&producer, &topic, Some(0), "2", None, &second).await;

    let errors = wait_errors(&ingest.api, |e| {
        e.len() == 1 && e[0]["occurrence_count"] == 2
    })
    .await;
    assert_eq!(errors[0]["exception_type"], "OutOfStock");
    let settings = ingest.api.get("/api/settings").await.expect(StatusCode::OK);
    let kafka = &settings["kafka"];
    assert_eq!(kafka["topic"], topic.as_str());
    assert_eq!(kafka["messages"], 2, "{settings}");
    assert_eq!(kafka["skipped_undecodable"], 1, "{settings}");
    assert_eq!(kafka["skipped_unauthenticated"], 2, "{settings}");
    // The token travelled as a resource attribute; it is not stored as one.
    let trace = ingest
        .api
        .get(&format!("/api/traces/{}", trace_hex(2)))
        .await
        .expect(StatusCode::OK);
    assert!(!trace.to_string().contains("omegi.token"), "{trace}");
    assert!(!t
        .database_bytes()
        .await
        .windows(ingest.token.len())
        .any(|w| w == ingest.token.as_bytes()));
    t.stop().await;
}

#[tokio::test]
async fn two_nodes_share_a_topic_and_a_killed_node_loses_nothing() {
    let Some(brokers) = brokers() else { return };
    if !on_postgres() {
        return; // Several nodes share PostgreSQL; the PostgreSQL pass runs this test.
    }
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let topic = topic(&brokers, 4).await;
    let flags = [
        "--kafka-brokers",
        &brokers,
        "--kafka-topic",
        &topic,
        "--kafka-group",
        "omegi-nodes",
        "--trace-settle",
        "300ms",
        "--trace-max-wait",
        "3s",
    ];
    let mut a = Some(Process::spawn(&database, &flags).await);
    let b = Process::spawn(&database, &flags).await;
    let owner = omegi_testkit::owner::signed_up(&b.base, "alice", "shop", "gateway").await;
    let producer = producer(&brokers);
    // 600 traces of 7 spans; every third fails (checkout), the others succeed.
    let traces: u64 = 600;
    let mut failing = 0;
    for n in 0..traces {
        let groups = if n % 3 == 0 {
            failing += 1;
            checkout(1000 + n)
        } else {
            checkout_ok(1000 + n)
        };
        let payload = request(groups).encode_to_vec();
        publish(
            &producer,
            &topic,
            None,
            &trace_hex(1000 + n),
            Some(&owner.token),
            &payload,
        )
        .await;
        if n == traces / 3 {
            // Node A dies mid-stream, once it has stored messages of its own (the session
            // made on node B signs in on node A too): whatever it read but did not commit
            // goes to node B.
            let on_a = format!("{}/api/settings", a.as_ref().unwrap().base);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                let settings: serde_json::Value = owner
                    .http
                    .get(&on_a)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if settings["kafka"]["messages"].as_u64().unwrap_or(0) > 0 {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "node A consumes nothing: {settings}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            a.take().unwrap().kill();
        }
    }
    let mut db = sqlx::PgConnection::connect(&database_url(&database))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        // A message node A stored but did not commit is stored again by node B; the copy is
        // read once, so each trace is assembled from its 7 spans, never 14.
        let (whole, doubled, occurrences, pending): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM traces WHERE span_count = 7 \
                       AND version = assembled_version), \
                    (SELECT COUNT(*) FROM traces WHERE span_count > 7), \
                    (SELECT COUNT(*) FROM occurrences), \
                    (SELECT COUNT(*) FROM traces WHERE version > assembled_version)",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        assert_eq!(doubled, 0, "a span counted twice");
        if whole == traces as i64 && pending == 0 && occurrences == failing {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{whole} of {traces} traces assembled whole, {occurrences} of {failing} occurrences, {pending} traces pending"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Exactly one occurrence per failing trace, and the group counts each once.
    let per_trace: Vec<(String, i64)> =
        sqlx::query_as("SELECT trace_id, COUNT(*) FROM occurrences GROUP BY trace_id")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(per_trace.len() as i64, failing);
    assert!(per_trace.iter().all(|(_, n)| *n == 1));
    let traces_seen: HashSet<String> = per_trace.into_iter().map(|(t, _)| t).collect();
    assert!(traces_seen.contains(&trace_hex(1000)));
    let counted: i64 =
        sqlx::query_scalar("SELECT CAST(SUM(occurrence_count) AS BIGINT) FROM errors")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(counted, failing);
    drop(b);
}

#[tokio::test]
async fn a_full_span_queue_makes_the_consumer_wait_and_nothing_is_dropped() {
    let Some(brokers) = brokers() else { return };
    let topic = topic(&brokers, 2).await;
    let t = TestServer::start_with(|c| {
        // Room for one message's spans at a time: most writes find the queue full.
        c.ingest_queue = 10;
        c.kafka = Some(consuming(&brokers, &topic));
    })
    .await;
    let ingest = setup(&t).await;
    let producer = producer(&brokers);
    for n in 0..200 {
        let payload = request(checkout_ok(100 + n)).encode_to_vec();
        let key = trace_hex(100 + n);
        publish(&producer, &topic, None, &key, Some(&ingest.token), &payload).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let settings = loop {
        let s = ingest.api.get("/api/settings").await.expect(StatusCode::OK);
        if s["kafka"]["messages"] == 200 {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "{s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(settings["kafka"]["spans"], 200 * 7);
    for n in [0, 99, 199] {
        let trace = ingest
            .api
            .get(&format!("/api/traces/{}", trace_hex(100 + n)))
            .await
            .expect(StatusCode::OK);
        assert_eq!(trace["spans"].as_array().unwrap().len(), 7, "{trace}");
    }
    t.stop().await;
}
