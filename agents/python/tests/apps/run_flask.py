"""Runs the shop's Flask app on the port given (no reloader, so one process)."""
import sys

from shop.web import app

app.run(host="127.0.0.1", port=int(sys.argv[1]), use_reloader=False)
