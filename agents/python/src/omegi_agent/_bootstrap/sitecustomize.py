# Loaded at interpreter start by `omegi-run` (this folder is first on PYTHONPATH).
try:
    import omegi_agent

    omegi_agent.init()
except Exception as exc:  # never keep the application from starting
    import sys

    print(f"omegi-agent: WARNING: not started: {exc}", file=sys.stderr)
