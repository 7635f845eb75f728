"""The console exporter, and exporter names that are not there."""

import re
import subprocess

from conftest import APPS, agent_env, omegi_run


def run_script(**env):
    return subprocess.run([omegi_run(), "python", "console_script.py"], env=agent_env(None, **env), cwd=APPS, capture_output=True, text=True, timeout=60)


LINE = re.compile(r"^\[omegi\] \S+Z (\S+) [0-9a-f]{32}/[0-9a-f]{16} (\S+) (\w+) [\d.]+ms (OK|ERROR)(.*)$")


def test_the_console_exporter_prints_one_readable_line_per_span():
    out = run_script(OMEGI_SERVICE_NAME="console-demo", OMEGI_EXPORTER="console")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[sku-1]", "the application's own output is untouched"
    lines = [LINE.match(line) for line in out.stderr.splitlines() if line.startswith("[omegi]")]
    assert all(lines), out.stderr
    spans = [(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5).strip()) for m in lines]
    assert ("console-demo", "shop.stock.check", "internal", "ERROR", "shop.stock.OutOfStock: sku-9 is sold out") in spans
    assert ("console-demo", "shop.stock.Warehouse.reserve", "internal", "ERROR", "") in spans
    assert ("console-demo", "shop.orders.place_order", "internal", "OK", "") in spans
    assert ("console-demo", "shop.stock.Warehouse.label", "internal", "OK", "") in spans
    assert "OMEGI_TOKEN" not in out.stderr, "no token warning when OTLP is not asked for"


def test_an_unknown_exporter_is_named_once_and_the_other_exporters_still_run():
    out = run_script(OMEGI_SERVICE_NAME="console-demo", OMEGI_EXPORTER="console,carrier-pigeon")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("unknown exporter 'carrier-pigeon'") == 1
    assert "shop.stock.check" in out.stderr


def test_the_applications_own_sitecustomize_still_runs():
    env = agent_env(None, OMEGI_SERVICE_NAME="console-demo", OMEGI_EXPORTER="console")
    env["PYTHONPATH"] = f"{APPS}:{APPS / 'site'}"
    probe = "import builtins, omegi_agent.setup as s; print(getattr(builtins, 'APP_SITECUSTOMIZE_RAN', False), s._provider is not None)"
    out = subprocess.run([omegi_run(), "python", "-c", probe], env=env, cwd=APPS, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"], "both the agent and the app's sitecustomize ran"
