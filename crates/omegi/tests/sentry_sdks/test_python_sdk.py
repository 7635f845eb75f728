"""Python `sentry-sdk` with its Flask integration, pointed at Omegi by the DSN alone."""

import pytest

from conftest import error_of, new_service, payments_under_agent, sentry_shop, wait_until


@pytest.fixture(scope="module")
def shop(omegi):
    dsn = new_service(omegi, "shop-flask", "python")
    with sentry_shop(dsn) as app:
        yield app


def test_an_unhandled_flask_exception_becomes_an_error_with_its_cause_frames_and_context(omegi, shop):
    assert shop.get("/checkout/sku-9").status_code == 500
    detail = error_of(omegi, "shop-flask", "sentry_shop.OutOfStock")
    error, latest = detail, detail["latest"]
    assert error["message"] == "sku-9 is out of stock"
    reported = latest["log"]["reported"]
    primary, cause = reported["exceptions"]
    assert (primary["type"], cause["type"]) == ("OutOfStock", "KeyError")
    assert primary["mechanism"]["handled"] is False
    # The raising frame first, the application's own frames marked, Flask's not.
    assert primary["frames"][0]["function"] == "reserve"
    assert primary["frames"][0]["in_app"] is True
    assert primary["frames"][0]["context_line"].strip().startswith("raise OutOfStock")
    assert any(f["in_app"] is False and "flask" in (f["module"] or "") for f in primary["frames"])
    assert "The above exception was the direct cause" in latest["log"]["stacktrace"]
    # As captured: the request, the user, tags, a log line as breadcrumb, release and env.
    assert reported["request"]["method"] == "GET"
    assert reported["request"]["url"].endswith("/checkout/sku-9")
    assert reported["user"]["id"] == "user-7"
    assert reported["tags"]["region"] == "eu-west"
    assert any(b.get("message") == "reserving sku-9" for b in reported["breadcrumbs"])
    environment = latest["summary"]["environment"]
    assert environment["service.version"] == "sentry-shop@1.4.2"
    assert environment["deployment.environment.name"] == "staging"
    assert latest["summary"]["operation"]["code_function"] == "reserve"
    # Without tracing the event is a trace of its own.
    assert latest["trace"]["services"] == ["shop-flask"]


def test_the_same_failure_twice_is_one_error(omegi, shop):
    for sku in ("sku-20", "sku-21"):
        assert shop.get(f"/checkout/{sku}").status_code == 500
    detail = error_of(omegi, "shop-flask", "sentry_shop.OutOfStock", count=3)
    assert detail["occurrence_count"] == 3


def test_capture_message_is_an_occurrence_grouped_by_its_text(omegi, shop):
    for text in ("eu", "eu", "us"):
        assert shop.get(f"/notify/{text}").ok

    def messages():
        found = {e["message"]: e["occurrence_count"] for e in omegi.errors(service="shop-flask") if e["exception_type"] == "Message"}
        return found if found.get("payment provider slow: eu") == 2 and "payment provider slow: us" in found else None

    found = wait_until(messages, timeout=30, what="two message errors")
    assert found == {"payment provider slow: eu": 2, "payment provider slow: us": 1}


def test_a_custom_fingerprint_decides_the_group(omegi, shop):
    assert shop.get("/declined/card").ok
    assert shop.get("/declined/timeout").ok

    def grouped():
        mine = [e for e in omegi.errors(service="shop-flask") if e["exception_type"] in ("sentry_shop.PaymentDeclined", "TimeoutError")]
        return mine if mine and sum(e["occurrence_count"] for e in mine) >= 2 else None

    mine = wait_until(grouped, timeout=30, what="the fingerprinted errors")
    # Two exception types, one group: the fingerprint, not the type, decided.
    assert len(mine) == 1 and mine[0]["occurrence_count"] == 2, mine


def test_a_sentry_service_calling_an_agent_service_shows_one_trace(omegi):
    dsn = new_service(omegi, "storefront-sentry", "python")
    with payments_under_agent(omegi, "payments-otel") as payments, sentry_shop(dsn, tracing=True, downstream=payments.base) as shop:
        assert shop.get("/call").status_code == 502
        detail = error_of(omegi, "payments-otel", "payments.GatewayRefused")

        def both():
            trace = omegi.api("GET", f"/api/errors/{detail['id']}")["latest"]["trace"]
            return trace if "storefront-sentry" in trace["services"] else None

        trace = wait_until(both, timeout=30, what="the Sentry service's spans in the trace")
    assert set(trace["services"]) == {"storefront-sentry", "payments-otel"}
    by_id = {s["span_id"]: s for s in trace["spans"]}
    failing = next(s for s in trace["spans"] if s["failing"])
    assert failing["service"] == "payments-otel"
    # The agent's server span hangs under the Sentry SDK's http.client span.
    server = next(s for s in trace["spans"] if s["service"] == "payments-otel" and s["kind"] == "server")
    caller = by_id[server["parent_span_id"]]
    assert caller["service"] == "storefront-sentry" and caller["kind"] == "client"
    # The storefront's own transaction is the root, and its 502 is no error of its own.
    assert trace["spans"][0]["service"] == "storefront-sentry"
    assert not [e for e in omegi.errors(service="storefront-sentry")]
