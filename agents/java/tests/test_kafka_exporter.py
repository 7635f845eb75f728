"""The agent's Kafka exporter against a real Apache Kafka broker (scripts/kafka/kafka.sh)."""

import os
import uuid

import pytest
from kafka import KafkaConsumer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import java_app, running_omegi, traceparent

BROKERS = os.environ.get("OMEGI_TEST_KAFKA_BROKERS")
# Skipped only when run by hand without a broker; under CI (the test command) a missing broker
# is a failure, never a silent skip.
pytestmark = pytest.mark.skipif(
    not BROKERS and not os.environ.get("CI"),
    reason="no broker: scripts/test.sh starts one and sets OMEGI_TEST_KAFKA_BROKERS",
)


def test_each_trace_is_one_otlp_message_keyed_by_its_trace_id_with_the_token_header():
    assert BROKERS, "OMEGI_TEST_KAFKA_BROKERS is not set: scripts/test.sh starts a broker and sets it"
    topic = f"omegi-spans-{uuid.uuid4().hex[:8]}"
    trace_id, parent = traceparent()
    with java_app("shop-kafka", exporter="kafka", token="omg_kafka_test", OMEGI_KAFKA_BROKERS=BROKERS, OMEGI_KAFKA_TOPIC=topic) as app:
        assert f"exporters=kafka kafka={BROKERS}/{topic}" in app.output()
        assert app.get("/orders/42", headers={"traceparent": parent}).status_code == 500
        assert app.get("/orders/1").ok
        consumer = KafkaConsumer(topic, bootstrap_servers=BROKERS, auto_offset_reset="earliest", consumer_timeout_ms=20000)
        messages = {}
        for message in consumer:
            request = ExportTraceServiceRequest.FromString(message.value)
            spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
            key = message.key.decode()
            # One trace a message: every span in it belongs to the trace its key names.
            assert {s.trace_id.hex() for s in spans} == {key}
            assert dict(message.headers)["omegi-token"] == b"omg_kafka_test"
            messages.setdefault(key, []).extend(spans)
            if trace_id in messages and len({s.name for s in messages[trace_id]}) >= 4:
                break
        consumer.close()
    assert trace_id in messages, list(messages)
    spans = {s.name: s for s in messages[trace_id]}
    assert {"GET /orders/{id}", "OrderController.order", "OrderService.find", "OrderRepository.load"} <= set(spans)
    load = spans["OrderRepository.load"]
    assert [e.name for e in load.events] == ["exception"]
    resource = request.resource_spans[0].resource
    assert any(a.key == "service.name" and a.value.string_value == "shop-kafka" for a in resource.attributes)


def test_spans_sent_through_kafka_become_omegi_errors():
    """Agent -> Kafka -> Omegi's Kafka receiver, the original Omegi design."""
    assert BROKERS, "OMEGI_TEST_KAFKA_BROKERS is not set: scripts/test.sh starts a broker and sets it"
    topic = f"omegi-spans-{uuid.uuid4().hex[:8]}"
    args = ("--kafka-brokers", BROKERS, "--kafka-topic", topic, "--kafka-group", "java-agent-test")
    with running_omegi(project="java-kafka", service="shop-kafka", kind="java", args=args) as omegi:
        with java_app("shop-kafka", exporter="kafka", token=omegi.token, OMEGI_KAFKA_BROKERS=BROKERS, OMEGI_KAFKA_TOPIC=topic) as app:
            assert app.get("/orders/42").status_code == 500
            error = omegi.wait_error("java.lang.IllegalStateException", "shop-kafka")
        assert error["message"] == "order 42 is corrupt"
        assert error["operation"] == "dev.omegi.testshop.OrderRepository.load"
        detail = omegi.api("GET", f"/api/errors/{error['id']}")
        assert "OrderRepository.load" in detail["latest"]["log"]["stacktrace"]
