"""The console exporter, and an application whose Omegi is down."""

import re

from conftest import EXTENSION_JAR, free_port, java_app, median_seconds, upstream_agent_jar, wait_until


def test_console_exporter_prints_one_readable_line_per_span():
    with java_app("shop-console", exporter="console") as app:
        assert app.get("/orders/42").status_code == 500
        wait_until(lambda: " OrderController.order internal " in app.output(), what="console lines")
        out = app.output()
    line = next(line for line in out.splitlines() if " OrderRepository.load " in line)
    assert re.fullmatch(
        r"\[omegi\] \d{4}-\d\d-\d\dT[\d:.]+Z shop-console [0-9a-f]{32}/[0-9a-f]{16} OrderRepository\.load internal "
        r"\d+\.\d\dms ERROR java\.lang\.IllegalStateException: order 42 is corrupt",
        line,
    ), line
    assert "[omegi] agent " in out and "exporters=console" in out


def test_with_omegi_down_the_application_answers_as_fast_and_the_agent_warns_once(omegi):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with java_app("shop-up", omegi) as up, java_app("shop-down", exporter="otlp,console", endpoint=down, token="omg_x") as app:
        for a in (up, app):
            median_seconds(a, "/orders/1", 30)  # warm-up
        normal = median_seconds(up, "/orders/1", 40)
        without_omegi = median_seconds(app, "/orders/1", 40)
        for _ in range(3):
            assert app.get("/orders/42").status_code == 500
        wait_until(lambda: "cannot deliver spans" in app.output(), what="the warning")
        out = app.output()
    assert without_omegi < normal * 3 + 0.05, (normal, without_omegi)
    warnings = [line for line in out.splitlines() if "cannot deliver spans" in line]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"[omegi] warning: cannot deliver spans to {down}/v1/traces")
    assert "Failed to export" not in out  # the upstream exporter's line per batch is silenced
    assert out.count(" OrderRepository.load ") >= 70, out[-3000:]  # console kept printing meanwhile


def test_a_bad_setting_prints_one_clear_line_and_the_application_still_starts(omegi):
    with java_app("shop-misconfigured", omegi, exporter="otlp,zipkin", endpoint="omegi.internal:8080") as app:
        assert app.get("/orders/1").ok
        out = app.output()
    assert "[omegi] warning: OMEGI_EXPORTER names an unknown exporter 'zipkin'" in out
    assert "[omegi] warning: OMEGI_ENDPOINT 'omegi.internal:8080' is not an http(s) URL" in out


def test_the_extension_alone_works_with_a_stock_agent_and_explicit_otel_settings_win():
    stock = upstream_agent_jar()
    assert stock.exists(), stock
    extension = f"-Dotel.javaagent.extensions={EXTENSION_JAR}"
    with java_app("shop-omegi-name", exporter="console", agent=stock, properties=[extension], OTEL_SERVICE_NAME="shop-otel-name") as app:
        assert app.get("/orders/42").status_code == 500
        wait_until(lambda: " OrderRepository.load internal " in app.output(), what="console lines")
        out = app.output()
    assert "[omegi] agent 0.1.0: service=shop-otel-name " in out
    assert " shop-otel-name " in next(line for line in out.splitlines() if " OrderRepository.load " in line)
