"""The storefront (Python): buying calls the Java shop's checkout."""
import sys

from flask import Flask

from storefront.basket import Basket

app = Flask(__name__)


@app.get("/health")
def health():
    return "ok"


@app.get("/buy")
def buy():
    return Basket().buy()


app.run(host="127.0.0.1", port=int(sys.argv[1]), use_reloader=False)
