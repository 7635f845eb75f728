"""``omegi-run COMMAND [ARGS]``: runs a Python program with the agent set up before the
program's own code, like ``opentelemetry-instrument``. The agent starts from a
``sitecustomize`` module that this command puts first on ``PYTHONPATH``."""

import os
import sys
from pathlib import Path

USAGE = "usage: omegi-run python app.py | omegi-run gunicorn app:app | omegi-run COMMAND [ARGS...]"


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        sys.exit(0 if args else 2)
    bootstrap = str(Path(__file__).parent / "_bootstrap")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [bootstrap, env.get("PYTHONPATH", "")] if p)
    # `python`, `gunicorn`… resolve to this interpreter's environment first: the one the
    # agent is installed in, even when that virtualenv is not activated.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    try:
        os.execvpe(args[0], args, env)
    except FileNotFoundError:
        print(f"omegi-run: command not found: {args[0]}", file=sys.stderr)
        sys.exit(127)
