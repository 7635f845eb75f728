"""The agent's cost per traced method call.

    python agents/python/bench/overhead.py

Times a small function called plainly, wrapped with a tracer provider that exports nowhere
(the cost of creating and ending a span), and wrapped with the batch exporter the agent uses
for OTLP (to an address where nothing listens, so only the in-process work counts).
"""

import timeit

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from omegi_agent.exporters import OmegiOtlpExporter
from omegi_agent.methods import wrap

N = 200_000


def work(x):
    return x * 2 + 1


def per_call_us(fn) -> float:
    best = min(timeit.repeat(lambda: fn(3), number=N, repeat=5))
    return best / N * 1e6


def main():
    plain = per_call_us(work)
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    wrapped = wrap(work, "bench")
    bare = per_call_us(wrapped)
    provider.add_span_processor(BatchSpanProcessor(OmegiOtlpExporter("http://127.0.0.1:9", "omg_bench"), max_queue_size=4096))
    batched = per_call_us(wrapped)
    print(f"plain call:                      {plain:8.3f} µs")
    print(f"traced, no exporter:             {bare:8.3f} µs  (+{bare - plain:.2f} µs)")
    print(f"traced, batch OTLP exporter:     {batched:8.3f} µs  (+{batched - plain:.2f} µs)")
    provider.shutdown()


if __name__ == "__main__":
    main()
