"""Email alerts reach a real SMTP server (aiosmtpd) on loopback: one message with a plain
text and an HTML part, carrying the error, the numbered flow and the link to the note of an
error solved before. Spans come from the real OpenTelemetry SDK."""

import email
import email.policy
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

ROOT = Path(__file__).parents[4]
sys.path.insert(0, str(ROOT / "agents" / "testkit"))

from omegi_testkit import free_port, running_omegi, wait_until  # noqa: E402


class Inbox:
    """Keeps every message the SMTP server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


class Cart(Exception):
    pass




def send_failure(omegi, service):
    exporter = lambda: OTLPSpanExporter(endpoint=f"{omegi.base}/v1/traces", headers={"x-omegi-token": omegi.token})
    gateway = TracerProvider(resource=Resource.create({"service.name": "gateway", "deployment.environment.name": "production"}))
    gateway.add_span_processor(SimpleSpanProcessor(exporter()))
    backend = TracerProvider(resource=Resource.create({"service.name": service, "deployment.environment.name": "production"}))
    backend.add_span_processor(SimpleSpanProcessor(exporter()))
    with gateway.get_tracer("shop").start_as_current_span("POST /cart", kind=SpanKind.SERVER) as root:
        with backend.get_tracer("shop").start_as_current_span("cart.total", kind=SpanKind.INTERNAL) as inner:
            try:
                raise Cart("totals differ by 3 cents")
            except Cart as e:
                inner.record_exception(e)
                inner.set_status(Status(StatusCode.ERROR))
        root.set_status(Status(StatusCode.ERROR))
    backend.shutdown()
    gateway.shutdown()


def test_an_email_alert_carries_the_flow_and_the_note_solved_before():
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        args = ("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-tls", "none",
                "--smtp-from", "Omegi <omegi@example.com>", "--alert-digest-window", "100ms")
        with running_omegi(project="mail-shop", service="gateway", args=args) as omegi:
            p = omegi.project
            for name in ("cart", "checkout"):
                omegi.api("POST", f"/api/projects/{p}/services", json={"name": name})
            # A first error of the type, solved with a note.
            send_failure(omegi, "cart")
            first = omegi.wait_error("test_email_alerts.Cart", "cart")
            note = omegi.api("POST", "/api/notes", json={
                "title": "Rounding in cart totals", "kind": "error", "error_id": first["id"], "visibility": "public",
                "body": "Totals were summed as floats.\nWe switched to integer cents."})
            channel = omegi.api("POST", f"/api/projects/{p}/alert-channels", json={
                "name": "on-call mail", "kind": "email", "target": "oncall@example.com, lead@example.com"})
            assert "secret" not in channel or channel["secret"] is None
            omegi.api("POST", f"/api/projects/{p}/alert-rules", json={
                "name": "new in production", "trigger": "new", "environment": "production", "channel_ids": [channel["id"]]})

            # The same type in another service: a new error, solved before.
            send_failure(omegi, "checkout")
            wait_until(lambda: inbox.messages, timeout=30, what="the alert email")
            recipients, msg = inbox.messages[0]
            assert sorted(recipients) == ["lead@example.com", "oncall@example.com"]
            assert msg["From"] == "Omegi <omegi@example.com>"
            assert "New error: test_email_alerts.Cart in checkout" in msg["Subject"]
            text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
            html = msg.get_body(preferencelist=("html",)).get_content()
            assert "totals differ by 3 cents" in text
            assert "1. gateway: POST /cart\n2. checkout: cart.total" in text
            assert f"{omegi.base}/errors/" in text
            assert "Solved before?: Rounding in cart totals" in text
            assert f"{omegi.base}/notes/{note['id']}" in text
            assert "Totals were summed as floats." in text
            assert f'href="{omegi.base}/notes/{note["id"]}"' in html
            assert "<pre>1. gateway: POST /cart" in html

            # The history records the SMTP server's answer.
            history = omegi.api("GET", f"/api/projects/{p}/alert-deliveries")
            assert [(h["status"], h["response_code"]) for h in history] == [("sent", 250)]
            assert len(inbox.messages) == 1
    finally:
        smtp.stop()
