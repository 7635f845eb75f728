# Loaded at interpreter start by `omegi-run` (this folder is first on PYTHONPATH). Starts the
# agent, then runs the application's own sitecustomize, if it has one, which this file hides.
import os
import sys

try:
    import omegi_agent

    omegi_agent.init()
except Exception as exc:  # never keep the application from starting
    print(f"omegi-agent: WARNING: not started: {exc}", file=sys.stderr)


def _run_next_sitecustomize():
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == here:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_app_sitecustomize", candidate)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return


_run_next_sitecustomize()
