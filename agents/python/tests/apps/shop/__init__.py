"""A small shop used by the agent's tests; its code is traced method by method."""
