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
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

ROOT = Path(__file__).resolve().parents[2]
BROKERS = os.environ["KAFKA_BROKERS"]
TOTAL_SPANS = 200_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kv(k, v):
    return KeyValue(key=k, value=AnyValue(string_value=v))


def trace_spans(trace_no):
    """Ten spans of one trace, the root first; the same attributes as the overload bench."""
    now = time.time_ns()
    trace = trace_no.to_bytes(16, "big")
    return [
        Span(
            trace_id=trace,
            span_id=(i + 1).to_bytes(8, "big"),
            parent_span_id=b"" if i == 0 else i.to_bytes(8, "big"),
            name="GET /api/orders/{id}",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=now + i,
            end_time_unix_nano=now + i + 5_000_000,
            attributes=[
                kv("http.request.method", "GET"),
                kv("url.full", f"https://shop.example.com/api/orders/{trace_no}?expand=items,customer"),
                kv("db.query.text", "SELECT o.id, o.total FROM orders o WHERE o.id = $1 " * 4),
            ],
        )
        for i in range(10)
    ]


def message(spans):
    resource = Resource(attributes=[kv("service.name", "bench")])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]).SerializeToString()


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
    import threading

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


def omegi(data, extra):
    port = free_port()
    binary = ROOT / "target" / "release" / "omegi"
    proc = subprocess.Popen([str(binary), "serve", "--data-dir", data, "--http-addr", f"127.0.0.1:{port}", "--grpc-addr", "127.0.0.1:0", *extra],
                            env={**os.environ, "OMEGI_LOG": "warn"})
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(f"{base}/readyz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("omegi did not start")


def main():
    data = tempfile.mkdtemp(prefix="omegi-kafka-bench-")
    s = requests.Session()
    proc, base = omegi(data, [])
    s.post(f"{base}/api/auth/signup", json={"username": "bench", "password": "bench-password"}).raise_for_status()
    p = s.post(f"{base}/api/projects", json={"name": "bench"}).json()["id"]
    sid = s.post(f"{base}/api/projects/{p}/services", json={"name": "bench"}).json()["id"]
    token = s.post(f"{base}/api/projects/{p}/services/{sid}/tokens").json()["secret"]
    proc.terminate()
    proc.wait()
    try:
        for shape, per_message, first in (("one trace a message (agents)", 1, 1), ("100-span batches (Collector)", 10, 10_000_000)):
            topic = f"bench-{uuid.uuid4().hex[:8]}"
            admin = AdminClient({"bootstrap.servers": BROKERS})
            admin.create_topics([NewTopic(topic, 4, 1)])[topic].result()
            publish(topic, token, per_message, first)
            proc, base = omegi(data, ["--kafka-brokers", BROKERS, "--kafka-topic", topic, "--kafka-group", topic])
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
            proc, base = omegi(data, [])
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
