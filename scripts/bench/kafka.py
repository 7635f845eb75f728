"""How fast `omegi serve` (release build) consumes spans from Kafka: messages are published to
a fresh topic first (4 partitions), then omegi starts with --kafka-brokers and the time from
the first to the last span stored (its own count, /api/settings) is measured. Two shapes: one
trace a message (what the Omegi agents write) and 100-span batches (a Collector with
otlp_proto). Then the same two shapes over OTLP/HTTP, from 8 client threads posting the same
payloads to a fresh omegi, so the two paths are compared on the same work.

    cargo build --release -p omegi
    bash -c 'source scripts/lib.sh && source scripts/kafka/kafka.sh && start_kafka && on_exit stop_kafka &&
             target/test-venv/bin/python scripts/bench/kafka.py'
"""

import os
import shutil
import tempfile
import threading
import time
import uuid

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from benchkit import export, signed_up, span, start_omegi

BROKERS = os.environ["KAFKA_BROKERS"]
TOTAL_SPANS = 200_000


def trace_spans(trace_no):
    now = time.time_ns()
    return [span(trace_no, i, now) for i in range(10)]


def message(spans):
    return export(spans, "bench")


def publish(topic, token, traces_per_message, first_trace):
    producer = Producer({"bootstrap.servers": BROKERS, "linger.ms": 20, "queue.buffering.max.messages": 1_000_000})
    traces = TOTAL_SPANS // 10
    for start in range(0, traces, traces_per_message):
        spans = [s for t in range(start, start + traces_per_message) for s in trace_spans(first_trace + t)]
        while True:
            try:
                producer.produce(topic, key=str(start), value=message(spans), headers=[("omegi-token", token)])
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    assert producer.flush(60) == 0


def payloads(traces_per_message, first_trace):
    traces = TOTAL_SPANS // 10
    return [message([s for t in range(start, start + traces_per_message) for s in trace_spans(first_trace + t)])
            for start in range(0, traces, traces_per_message)]


def over_http(base, token, bodies, clients=8):
    """Posts every body, `clients` at a time; returns seconds until all were acknowledged."""
    todo = list(bodies)
    lock = threading.Lock()

    def client():
        session = requests.Session()
        headers = {"authorization": f"Bearer {token}", "content-type": "application/x-protobuf"}
        while True:
            with lock:
                if not todo:
                    return
                body = todo.pop()
            while session.post(f"{base}/v1/traces", data=body, headers=headers).status_code != 200:
                time.sleep(0.05)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def main():
    data = tempfile.mkdtemp(prefix="omegi-kafka-bench-")
    proc, base = start_omegi(data)
    s, token = signed_up(base, "bench")
    proc.terminate()
    proc.wait()
    try:
        for shape, per_message, first in (("one trace a message (agents)", 1, 1), ("100-span batches (Collector)", 10, 10_000_000)):
            topic = f"bench-{uuid.uuid4().hex[:8]}"
            admin = AdminClient({"bootstrap.servers": BROKERS})
            admin.create_topics([NewTopic(topic, 4, 1)])[topic].result()
            publish(topic, token, per_message, first)
            proc, base = start_omegi(data, ["--kafka-brokers", BROKERS, "--kafka-topic", topic, "--kafka-group", topic])
            s.post(f"{base}/api/auth/login", json={"username": "bench", "password": "bench-password"}).raise_for_status()
            # Timed from the first stored span: joining the consumer group is start-up, not
            # throughput.
            ready = time.monotonic()
            first = 0
            while first == 0:
                first = s.get(f"{base}/api/settings").json()["kafka"]["spans"]
                time.sleep(0.01)
            started = time.monotonic()
            while True:
                stored = s.get(f"{base}/api/settings").json()["kafka"]["spans"]
                if stored >= TOTAL_SPANS:
                    break
                time.sleep(0.05)
            seconds = time.monotonic() - started
            rate = (TOTAL_SPANS - first) / seconds
            print(f"{shape}: {TOTAL_SPANS} spans in {TOTAL_SPANS // (10 * per_message)} messages; first stored {started - ready:.2f} s after start, "
                  f"the rest in {seconds:.2f} s = {rate:,.0f} spans/s")
            proc.terminate()
            proc.wait()
        for shape, per_message, first in (("one trace a message", 1, 20_000_000), ("100-span batches", 10, 30_000_000)):
            bodies = payloads(per_message, first)
            proc, base = start_omegi(data, [])
            seconds = over_http(base, token, bodies)
            print(f"OTLP/HTTP, {shape}: {TOTAL_SPANS} spans in {len(bodies)} exports from 8 clients acknowledged in {seconds:.2f} s = {TOTAL_SPANS / seconds:,.0f} spans/s")
            proc.terminate()
            proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
