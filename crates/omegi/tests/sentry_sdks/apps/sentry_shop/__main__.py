import sys

from sentry_shop import app

app.run(host="127.0.0.1", port=int(sys.argv[1]), use_reloader=False)
