"""A Flask shop instrumented with the Sentry SDK only (no OpenTelemetry): the DSN is the one
thing that points it at Omegi."""

import logging
import os

import requests
import sentry_sdk
from flask import Flask, jsonify

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0 if os.environ.get("TRACING") == "1" else None,
    release="sentry-shop@1.4.2",
    environment="staging",
    send_default_pii=True,
)

app = Flask(__name__)
log = logging.getLogger("sentry_shop")


class OutOfStock(Exception):
    pass


class PaymentDeclined(Exception):
    pass


STOCK = {"sku-1": 3}


def reserve(sku):
    try:
        return STOCK[sku]
    except KeyError as missing:
        raise OutOfStock(f"{sku} is out of stock") from missing


@app.get("/checkout/<sku>")
def checkout(sku):
    log.warning("reserving %s", sku)
    sentry_sdk.set_tag("region", "eu-west")
    sentry_sdk.set_user({"id": "user-7", "username": "ada"})
    reserve(sku)
    return jsonify(ok=True)


@app.get("/notify/<text>")
def notify(text):
    sentry_sdk.capture_message(f"payment provider slow: {text}")
    return jsonify(ok=True)


@app.get("/declined/<kind>")
def declined(kind):
    error = PaymentDeclined("card declined") if kind == "card" else TimeoutError("provider timed out")
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["payment-provider-down"]
        sentry_sdk.capture_exception(error)
    return jsonify(ok=False)


@app.get("/call")
def call():
    answer = requests.get(os.environ["DOWNSTREAM_URL"] + "/pay", timeout=10)
    return jsonify(downstream=answer.status_code), 502 if answer.status_code >= 500 else 200


@app.get("/health")
def health():
    return "ok"

