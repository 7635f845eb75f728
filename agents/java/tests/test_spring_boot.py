"""A Spring Boot application under omegi-agent.jar, and what Omegi makes of its failures."""

import pytest

from conftest import java_app, traceparent, wait_until


@pytest.fixture(scope="module")
def shop(omegi):
    with java_app("shop-java", omegi) as app:
        yield app


def spans_by_id(trace):
    return {s["span_id"]: s for s in trace["spans"]}


def chain_up(span, by_id):
    """The names from `span` up to the root."""
    names = []
    while span is not None:
        names.append(span["name"])
        span = by_id.get(span["parent_span_id"])
    return names


def test_a_request_failing_three_calls_deep_is_one_error_with_the_java_stack_trace(omegi, shop):
    assert shop.get("/orders/42").status_code == 500

    error = omegi.wait_error("java.lang.IllegalStateException", "shop-java")
    assert error["message"] == "order 42 is corrupt"
    assert error["operation"] == "dev.omegi.testshop.OrderRepository.load"
    detail = omegi.api("GET", f"/api/errors/{error['id']}")
    latest = detail["latest"]
    by_id = spans_by_id(latest["trace"])
    failing = next(s for s in latest["trace"]["spans"] if s["failing"])
    assert failing["attributes"]["code.namespace"] == "dev.omegi.testshop.OrderRepository"
    assert failing["attributes"]["code.function"] == "load"
    # Method spans nest under the Tomcat/Spring MVC server span, in call order.
    assert chain_up(failing, by_id) == [
        "OrderRepository.load",
        "OrderService.find",
        "OrderController.order",
        "GET /orders/{id}",
    ]
    server = by_id[by_id[by_id[failing["parent_span_id"]]["parent_span_id"]]["parent_span_id"]]
    assert server["kind"] == "server" and server["attributes"]["http.route"] == "/orders/{id}"
    # Recorded once, where it was thrown; the methods it passed through only fail.
    method_spans = [s for s in latest["trace"]["spans"] if "code.function" in s["attributes"]]
    recorded = [s["name"] for s in method_spans if any(e["name"] == "exception" for e in s["events"])]
    assert recorded == ["OrderRepository.load"]
    assert all(s["status"] == "error" for s in method_spans)
    stack = latest["log"]["stacktrace"]
    assert stack.startswith("java.lang.IllegalStateException: order 42 is corrupt")
    assert "at dev.omegi.testshop.OrderRepository.load(OrderRepository.java" in stack
    assert 'Caused by: java.lang.NumberFormatException: For input string: "4x2"' in stack
    flow = latest["summary"]["flow"]
    assert flow[0] == "1. shop-java: GET /orders/{id}" and flow[-1] == "4. shop-java: OrderRepository.load"


def test_plain_classes_of_the_traced_package_get_spans_but_getters_do_not(omegi, shop):
    trace_id, parent = traceparent()
    assert shop.get("/orders/1", headers={"traceparent": parent}).json() == {"id": 1, "total": 1320}
    trace = wait_until(lambda: _trace(omegi, trace_id, spans=5), what="the /orders/1 trace")
    names = {s["name"] for s in trace["spans"]}
    assert {"OrderController.order", "OrderService.find", "OrderRepository.load", "PriceCalculator.withTax"} <= names
    assert not {n for n in names if ".get" in n or ".set" in n or "<init>" in n}, names
    assert all(s["status"] != "error" for s in trace["spans"])


def test_a_handled_exception_creates_no_error(omegi, shop):
    handled_id, handled = traceparent()
    assert shop.get("/orders/42/safe", headers={"traceparent": handled}).json() == {"id": 42, "total": 0}
    # A failure sent after it: once that one is an error, the handled trace was assembled too.
    failed_id, failed = traceparent()
    assert shop.get("/orders/42", headers={"traceparent": failed}).status_code == 500
    error = omegi.wait_error("java.lang.IllegalStateException", "shop-java")
    wait_until(
        lambda: failed_id in {o["trace_id"] for o in omegi.api("GET", f"/api/errors/{error['id']}/occurrences")},
        what="the later failure's occurrence",
    )

    trace = _trace(omegi, handled_id, spans=4)
    load = next(s for s in trace["spans"] if s["name"] == "OrderRepository.load")
    assert load["status"] != "error" and not load["events"]
    assert load["attributes"]["omegi.exception.handled"] == "java.lang.IllegalStateException"
    assert all(s["status"] != "error" for s in trace["spans"])
    for error in omegi.errors(service="shop-java"):
        occurrences = omegi.api("GET", f"/api/errors/{error['id']}/occurrences")
        assert handled_id not in {o["trace_id"] for o in occurrences}


def _trace(omegi, trace_id, spans):
    r = omegi.http.get(f"{omegi.base}/api/traces/{trace_id}", timeout=10)
    if r.status_code != 200:
        return None
    trace = r.json()
    return trace if len(trace["spans"]) >= spans else None
