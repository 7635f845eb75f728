"""Two Python services, one calling the other over HTTP: one trace, two services, one edge."""

import requests

from conftest import agent_env, free_port, running, wait_until


def test_two_services_share_one_trace_and_an_edge(omegi):
    back_port, front_port = free_port(), free_port()
    back_env = agent_env(omegi, OMEGI_SERVICE_NAME="stock-api")
    front_env = agent_env(omegi, OMEGI_SERVICE_NAME="cart", REMOTE_URL=f"http://127.0.0.1:{back_port}")
    with running(["python", "run_flask.py", str(back_port)], back_env, back_port):
        with running(["python", "run_flask.py", str(front_port)], front_env, front_port) as (front, _):
            assert requests.get(f"{front}/remote-checkout/sku-9").status_code == 500
            error = wait_until(
                lambda: next(iter(omegi.errors(service="stock-api")), None),
                what="the stock-api error",
            )
    detail = omegi.api("GET", f"/api/errors/{error['id']}")
    trace = detail["latest"]["trace"]
    assert set(trace["services"]) == {"cart", "stock-api"}, trace["services"]
    assert trace["spans"][0]["service"] == "cart"
    assert detail["latest"]["summary"]["flow"][0].startswith("1. cart: GET /remote-checkout")
    services_map = omegi.api("GET", f"/api/projects/{omegi.project}/service-map")
    edges = [(e["caller"], e["callee"]) for e in services_map["edges"]]
    assert ("cart", "stock-api") in edges, edges
    nodes = {n["id"]: n for n in services_map["nodes"]}
    assert nodes["stock-api"]["unresolved"] is True
