"""The payment service (Python): every charge is declined."""
import sys

from flask import Flask, request

from payments import ledger

app = Flask(__name__)


@app.get("/health")
def health():
    return "ok"


@app.get("/pay")
def pay():
    return {"paid": ledger.charge(request.args.get("order", "?"))}


app.run(host="127.0.0.1", port=int(sys.argv[1]), use_reloader=False)
