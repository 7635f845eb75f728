"""An async shop (FastAPI) for the agent's tests."""
