"""A real FastAPI app (async functions, async generators) under `omegi-run`."""

import requests

from conftest import agent_env, free_port, running


def test_an_async_failure_is_traced_through_async_methods(omegi):
    port = free_port()
    env = agent_env(omegi, OMEGI_SERVICE_NAME="payments")
    args = ["python", "-m", "uvicorn", "fastshop.app:app", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, env, port) as (base, _):
        assert requests.get(f"{base}/pay/10").json() == {"receipt": "auth-1:authorize+capture"}
        assert requests.get(f"{base}/pay/500").status_code == 500
        error = omegi.wait_error("fastshop.payments.CardDeclined", "payments")
    detail = omegi.api("GET", f"/api/errors/{error['id']}")
    spans = detail["latest"]["trace"]["spans"]
    names = [s["name"] for s in spans]
    assert spans[0]["kind"] == "server", names
    for method in ["fastshop.payments.charge", "fastshop.payments.Processor.steps", "fastshop.payments.Processor.authorize", "fastshop.payments.limit_for"]:
        assert method in names, names
    assert [s["name"] for s in spans if s["failing"]] == ["fastshop.payments.Processor.authorize"]
    assert "in authorize" in detail["latest"]["log"]["stacktrace"]
