"""The Kafka exporter through a real Apache Kafka broker (scripts/kafka/kafka.sh) into Omegi's
Kafka receiver: what the agent publishes becomes Omegi errors; a broker that is down costs
the spans and one warning line, never the application."""

import os
import subprocess
import time
import uuid

import pytest

from conftest import APPS, agent_env, free_port, omegi_run, running_omegi

BROKERS = os.environ.get("OMEGI_TEST_KAFKA_BROKERS")
# Skipped only when run by hand without a broker; under CI (the test command) a missing broker
# is a failure, never a silent skip. The down-broker test needs no broker and always runs.
needs_broker = pytest.mark.skipif(
    not BROKERS and not os.environ.get("CI"),
    reason="no broker: scripts/test.sh starts one and sets OMEGI_TEST_KAFKA_BROKERS",
)


def run_script(env):
    return subprocess.run([omegi_run(), "python", "console_script.py"], env=env, cwd=APPS, capture_output=True, text=True, timeout=60)


@needs_broker
def test_spans_sent_through_kafka_become_omegi_errors():
    assert BROKERS, "OMEGI_TEST_KAFKA_BROKERS is not set: scripts/test.sh starts a broker and sets it"
    topic = f"omegi-spans-{uuid.uuid4().hex[:8]}"
    args = ["--kafka-brokers", BROKERS, "--kafka-topic", topic, "--kafka-group", "python-agent-test"]
    with running_omegi(project="kafka-shop", service="stock", args=args) as omegi:
        env = agent_env(None, OMEGI_SERVICE_NAME="stock", OMEGI_EXPORTER="kafka", OMEGI_TOKEN=omegi.token, OMEGI_KAFKA_BROKERS=BROKERS, OMEGI_KAFKA_TOPIC=topic)
        out = run_script(env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[sku-1]"
        assert "Kafka" not in out.stderr, out.stderr
        error = omegi.wait_error("shop.stock.OutOfStock", "stock")
        assert error["message"] == "sku-9 is sold out"
        detail = omegi.api("GET", f"/api/errors/{error['id']}")
        flow = detail["latest"]["summary"]["flow"]
        assert flow[0].endswith("shop.orders.place_order") and flow[-1].endswith("shop.stock.check"), flow
        kafka = omegi.api("GET", "/api/settings")["kafka"]
        assert kafka["messages"] >= 1 and kafka["skipped_undecodable"] == 0 and kafka["skipped_unauthenticated"] == 0, kafka


def test_a_broker_that_is_down_costs_one_warning_and_not_the_application():
    env = agent_env(None, OMEGI_SERVICE_NAME="stock", OMEGI_EXPORTER="kafka", OMEGI_TOKEN="omg_unused", OMEGI_KAFKA_BROKERS=f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    out = run_script(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[sku-1]", "the application's own output is untouched"
    warnings = [line for line in out.stderr.splitlines() if "Kafka" in line]
    assert len(warnings) == 1, out.stderr
    assert "spans are dropped" in warnings[0]
    assert time.monotonic() - started < 20
