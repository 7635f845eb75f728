"""One trace across languages and JVMs: W3C trace context carried by the agents of both."""

import pytest

from conftest import java_app, python_app, wait_until


@pytest.fixture(scope="module")
def payments(omegi):
    with python_app("payments", "payments-py", omegi) as app:
        yield app


@pytest.fixture(scope="module")
def shop(omegi, payments):
    with java_app("shop-java", omegi, downstream=payments.base) as app:
        yield app


def test_python_to_spring_boot_to_python_is_one_trace_with_both_languages_method_spans(omegi, payments, shop):
    with python_app("storefront", "storefront-py", omegi, SHOP_URL=shop.base) as storefront:
        assert storefront.get("/buy").status_code == 500
        error = wait_until(
            lambda: next(iter(omegi.errors(service="payments-py")), None), timeout=30, what="the payments-py error"
        )
    assert error["exception_type"].endswith("CardDeclined"), error
    latest = omegi.api("GET", f"/api/errors/{error['id']}")["latest"]
    trace = latest["trace"]
    assert set(trace["services"]) == {"storefront-py", "shop-java", "payments-py"}, trace["services"]

    spans = trace["spans"]
    by_id = {s["span_id"]: s for s in spans}
    roots = [s for s in spans if s["parent_span_id"] not in by_id]
    assert len(roots) == 1 and roots[0]["service"] == "storefront-py", roots
    names = {(s["service"], s["name"]) for s in spans}
    assert ("storefront-py", "storefront.basket.Basket.buy") in names, names
    assert {("shop-java", "OrderController.checkout"), ("shop-java", "PaymentClient.charge")} <= names, names
    assert ("payments-py", "payments.ledger.authorize") in names, names

    # The failing path runs storefront → shop-java → payments and ends in the Python method.
    failing = next(s for s in spans if s["failing"])
    assert (failing["service"], failing["name"]) == ("payments-py", "payments.ledger.authorize")
    path, span = [], failing
    while span is not None:
        path.append(span["service"])
        span = by_id.get(span["parent_span_id"])
    assert path[-1] == "storefront-py" and "shop-java" in path, path
    java_entry = next(s for s in spans if s["service"] == "shop-java" and s["kind"] == "server")
    assert by_id[java_entry["parent_span_id"]]["service"] == "storefront-py"
    assert by_id[java_entry["parent_span_id"]]["kind"] == "client"

    # The symptoms upstream (HTTP 500 seen by Java and by the storefront) are not errors of their own.
    for service in ("shop-java", "storefront-py"):
        for e in omegi.errors(service=service):
            assert omegi.api("GET", f"/api/errors/{e['id']}")["latest"]["trace_id"] != latest["trace_id"]

    edges = {(e["caller"], e["callee"]) for e in omegi.api("GET", f"/api/projects/{omegi.project}/service-map")["edges"]}
    assert {("storefront-py", "shop-java"), ("shop-java", "payments-py")} <= edges, edges


def test_spring_boot_to_spring_boot_over_rest_template_is_one_trace(omegi, shop):
    with java_app("shop-java-front", omegi, downstream=shop.base) as front:
        assert front.get("/checkout").status_code == 500
        error = omegi.wait_error("dev.omegi.testshop.PaymentDeclinedException", "shop-java")
        trace = wait_until(
            lambda: _trace_through(omegi, error, "shop-java-front"), timeout=30, what="a trace from shop-java-front"
        )
    spans = trace["spans"]
    by_id = {s["span_id"]: s for s in spans}
    failing = next(s for s in spans if s["failing"])
    assert (failing["service"], failing["name"]) == ("shop-java", "PaymentService.authorize")
    client = next(s for s in spans if s["service"] == "shop-java-front" and s["kind"] == "client")
    server = next(s for s in spans if s["service"] == "shop-java" and s["kind"] == "server")
    assert server["parent_span_id"] == client["span_id"]
    assert by_id[client["parent_span_id"]]["name"] == "PaymentClient.charge"
    edges = {(e["caller"], e["callee"]) for e in omegi.api("GET", f"/api/projects/{omegi.project}/service-map")["edges"]}
    assert ("shop-java-front", "shop-java") in edges, edges


def _trace_through(omegi, error, service):
    for o in omegi.api("GET", f"/api/errors/{error['id']}/occurrences"):
        trace = omegi.api("GET", f"/api/occurrences/{o['id']}")["trace"]
        if service in trace["services"]:
            return trace
    return None
