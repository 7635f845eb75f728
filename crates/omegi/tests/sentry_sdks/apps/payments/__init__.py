"""A payments service under Omegi's Python agent (OpenTelemetry, no Sentry) that fails."""

from flask import Flask

app = Flask(__name__)


class GatewayRefused(Exception):
    pass


def charge():
    raise GatewayRefused("the card gateway refused the charge")


@app.get("/pay")
def pay():
    charge()


@app.get("/health")
def health():
    return "ok"

