"""Node `@sentry/node` and Java `io.sentry:sentry`, each pointed at Omegi by the DSN alone.
`scripts/test.sh` installs them (`npm ci` in node/, Maven's dependency:copy-dependencies in
java/)."""

import shutil
import subprocess

import pytest

from conftest import HERE, error_of, new_service, wait_until

NODE = HERE / "node"
JAVA = HERE / "java"


def node(dsn, *args):
    assert (NODE / "node_modules" / "@sentry" / "node").exists(), f"run npm ci in {NODE}"
    return subprocess.run([shutil.which("node"), "send.mjs", dsn, *args], cwd=NODE, capture_output=True, text=True, timeout=60)


def java(dsn, *args):
    assert list((JAVA / "target" / "lib").glob("sentry-*.jar")), f"run mvn -f {JAVA}/pom.xml dependency:copy-dependencies -DoutputDirectory=target/lib"
    return subprocess.run([shutil.which("java"), "-cp", "target/lib/*", "SendError.java", dsn, *args], cwd=JAVA, capture_output=True, text=True, timeout=60)


SDKS = {
    "node": dict(
        send=node,
        kind="node",
        type="OutOfStock",
        cause="TypeError",
        frames=("reserve", "lookup"),
        message="inventory sync late",
        fingerprinted=("RangeError", "SyntaxError"),
        kinds=("range", "syntax"),
        release="checkout-node@2.0.1",
    ),
    "java": dict(
        send=java,
        kind="java",
        type="dev.omegi.sentrytest.SendError$OutOfStockException",
        cause="IllegalArgumentException",
        frames=("reserve", "lookup"),
        message="ledger export late",
        fingerprinted=("java.lang.IllegalStateException", "java.lang.UnsupportedOperationException"),
        kinds=("state", "unsupported"),
        release="checkout-java@3.1.0",
    ),
}


@pytest.fixture(scope="module", params=sorted(SDKS))
def sdk(request, omegi):
    spec = dict(SDKS[request.param])
    spec["service"] = f"checkout-{request.param}"
    spec["dsn"] = new_service(omegi, spec["service"], spec["kind"])
    return spec


def test_an_unhandled_exception_becomes_an_error_with_its_cause_and_in_app_frames(omegi, sdk):
    done = sdk["send"](sdk["dsn"], "unhandled", "sku-5")
    # The process dies of the exception, after the SDK sent it.
    assert done.returncode != 0, done.stderr
    detail = error_of(omegi, sdk["service"], sdk["type"])
    assert detail["message"] == "sku-5 is out of stock"
    reported = detail["latest"]["log"]["reported"]
    primary, cause = reported["exceptions"][:2]
    assert cause["type"] == sdk["cause"]
    assert cause["value"] == "no stock entry for sku-5"
    assert primary["mechanism"]["handled"] is False
    own = [f["function"] for f in primary["frames"] + cause["frames"] if f["in_app"]]
    assert own[0] == sdk["frames"][0] and sdk["frames"][1] in own
    assert all(not f["in_app"] for f in primary["frames"] if "node:" in (f["filename"] or "") or (f["module"] or "").startswith("jdk."))
    assert "Caused by: " in detail["latest"]["log"]["stacktrace"]
    assert detail["latest"]["summary"]["environment"]["service.version"] == sdk["release"]


def test_the_same_failure_twice_is_one_error(omegi, sdk):
    assert sdk["send"](sdk["dsn"], "unhandled", "sku-6").returncode != 0
    detail = error_of(omegi, sdk["service"], sdk["type"], count=2)
    assert detail["occurrence_count"] == 2


def test_capture_message_groups_by_text_and_a_fingerprint_decides_the_group(omegi, sdk):
    for text in ("eu", "eu", "us"):
        assert sdk["send"](sdk["dsn"], "message", text).returncode == 0
    for kind in sdk["kinds"]:
        assert sdk["send"](sdk["dsn"], "fingerprint", kind).returncode == 0

    def settled():
        errors = omegi.errors(service=sdk["service"])
        messages = {e["message"]: e["occurrence_count"] for e in errors if e["exception_type"] == "Message"}
        fingerprinted = [e for e in errors if e["exception_type"] in sdk["fingerprinted"]]
        total = sum(e["occurrence_count"] for e in fingerprinted)
        return (messages, fingerprinted) if sum(messages.values()) == 3 and total == 2 else None

    messages, fingerprinted = wait_until(settled, timeout=30, what="messages and fingerprinted errors")
    assert messages == {f"{sdk['message']}: eu": 2, f"{sdk['message']}: us": 1}
    assert len(fingerprinted) == 1, fingerprinted
