import os

import requests
from flask import Flask, jsonify

from .orders import place_order

app = Flask(__name__)


@app.get("/checkout/<sku>")
def checkout(sku):
    return jsonify(place_order(sku))


@app.get("/remote-checkout/<sku>")
def remote_checkout(sku):
    """Asks another service (REMOTE_URL) to check out, failing when it fails."""
    r = requests.get(f"{os.environ['REMOTE_URL']}/checkout/{sku}", timeout=10)
    r.raise_for_status()
    return jsonify(r.json())


@app.get("/health")
def health():
    return "ok"
