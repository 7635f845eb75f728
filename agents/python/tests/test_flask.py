"""A real Flask app under `omegi-run`, sending to a real Omegi."""

import time

import requests

from conftest import agent_env, free_port, running, wait_until

EXPECTED_METHOD_SPANS = ["shop.orders.place_order", "shop.stock.Warehouse.reserve", "shop.stock.check"]


def test_a_failure_three_calls_deep_becomes_an_omegi_error_with_its_trace(omegi):
    port = free_port()
    env = agent_env(omegi, OMEGI_SERVICE_NAME="shop-web")
    with running(["python", "run_flask.py", str(port)], env, port) as (base, stderr):
        assert requests.get(f"{base}/checkout/sku-1").json()["sku"] == "[sku-1]"
        assert requests.get(f"{base}/checkout/sku-9").status_code == 500
        error = omegi.wait_error("shop.stock.OutOfStock", "shop-web")
    assert "Traceback" not in stderr() or "OutOfStock" in stderr()
    assert error["service"] == "shop-web"
    assert error["message"] == "sku-9 is sold out"
    detail = omegi.api("GET", f"/api/errors/{error['id']}")
    spans = detail["latest"]["trace"]["spans"]
    names = [s["name"] for s in spans]
    assert spans[0]["kind"] == "server" and spans[0]["name"].startswith("GET /checkout"), names
    for method in EXPECTED_METHOD_SPANS:
        assert method in names, names
    failing = [s for s in spans if s["failing"]]
    assert [s["name"] for s in failing] == ["shop.stock.check"]
    path = [s["name"] for s in spans if s["on_failing_path"]]
    assert path[-3:] == EXPECTED_METHOD_SPANS
    check = failing[0]
    assert check["attributes"]["code.function"] == "check"
    assert check["attributes"]["code.namespace"] == "shop.stock"
    assert check["attributes"]["code.filepath"].endswith("shop/stock.py")
    assert isinstance(check["attributes"]["code.lineno"], int)
    # The exception is recorded once, where it was raised; callers only carry the status.
    exception_spans = [s for s in spans if any(e["name"] == "exception" for e in s["events"])]
    assert "shop.stock.check" in [s["name"] for s in exception_spans]
    assert all(s["status"] == "error" for s in spans if s["name"] in EXPECTED_METHOD_SPANS)
    stack = detail["latest"]["log"]["stacktrace"]
    assert "Traceback" in stack and "raise OutOfStock" in stack
    # The whole path, in the order Python prints it, and none of the agent's frames.
    order = [stack.index(f", in {fn}\n") for fn in ("checkout", "place_order", "reserve", "check")]
    assert order == sorted(order), stack
    assert "omegi_agent" not in stack
    summary = detail["latest"]["summary"]
    assert summary["flow"][-1] == f"{len(path)}. shop-web: shop.stock.check"


def test_a_missing_token_costs_one_warning_and_nothing_else(omegi):
    port = free_port()
    env = agent_env(None, OMEGI_SERVICE_NAME="no-token", OMEGI_ENDPOINT=omegi.base)
    with running(["python", "run_flask.py", str(port)], env, port) as (base, stderr):
        for _ in range(5):
            assert requests.get(f"{base}/checkout/sku-1").status_code == 200
    assert stderr().count("OMEGI_TOKEN is not set") == 1, stderr()


def test_an_unreachable_omegi_costs_one_warning_and_no_latency():
    port = free_port()
    dead = f"http://127.0.0.1:{free_port()}"
    env = agent_env(None, OMEGI_SERVICE_NAME="offline", OMEGI_ENDPOINT=dead, OMEGI_TOKEN="omg_x")
    with running(["python", "run_flask.py", str(port)], env, port) as (base, stderr):
        started = time.time()
        for _ in range(20):
            assert requests.get(f"{base}/checkout/sku-1").status_code == 200
            time.sleep(0.02)
        elapsed = time.time() - started
        wait_until(lambda: "cannot send spans" in stderr(), what="the warning")
        time.sleep(0.5)
    # 20 requests answer while every export fails: the exporter works in the background.
    assert elapsed < 5, elapsed
    assert stderr().count("cannot send spans") == 1, stderr()
