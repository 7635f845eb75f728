"""Sends one checkout trace across three services with the OpenTelemetry Python SDK.

gateway -> orders -> inventory; inventory.reserve raises, and the exception propagates up
through every span, as it would in real services. Prints the trace id.

usage: send_checkout.py http|grpc ENDPOINT TOKEN
"""

import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind


class OutOfStock(Exception):
    pass


def exporter(protocol, endpoint, token):
    headers = {"authorization": f"Bearer {token}"}
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", headers=headers)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=headers)


def provider(service, protocol, endpoint, token):
    p = TracerProvider(resource=Resource.create({"service.name": service, "deployment.environment": "ci"}))
    p.add_span_processor(BatchSpanProcessor(exporter(protocol, endpoint, token)))
    return p


def main():
    protocol, endpoint, token = sys.argv[1:4]
    providers = {s: provider(s, protocol, endpoint, token) for s in ("gateway", "orders", "inventory")}
    gateway = providers["gateway"].get_tracer("shop.gateway")
    orders = providers["orders"].get_tracer("shop.orders")
    inventory = providers["inventory"].get_tracer("shop.inventory")

    def reserve(sku):
        with inventory.start_as_current_span(
            "inventory.reserve", attributes={"code.function": "reserve", "code.namespace": "shop.inventory"}
        ):
            raise OutOfStock(f"sku {sku} is sold out")

    trace_id = None
    try:
        with gateway.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as root:
            trace_id = format(root.get_span_context().trace_id, "032x")
            with gateway.start_as_current_span("POST /orders", kind=SpanKind.CLIENT):
                with orders.start_as_current_span("POST /orders", kind=SpanKind.SERVER):
                    with orders.start_as_current_span("POST /reserve", kind=SpanKind.CLIENT):
                        with inventory.start_as_current_span("POST /reserve", kind=SpanKind.SERVER):
                            reserve(42)
    except OutOfStock:
        pass
    for p in providers.values():
        p.force_flush()
        p.shutdown()
    print(trace_id)


if __name__ == "__main__":
    main()
