"""The agent speaks through one logger, and says each problem once."""

import logging
import threading

logger = logging.getLogger("omegi_agent")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("omegi-agent: %(levelname)s: %(message)s"))
    logger.addHandler(_handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)

_said = set()
_lock = threading.Lock()


def warn_once(key: str, message: str) -> None:
    """Logs `message` as a warning the first time `key` is seen."""
    with _lock:
        if key in _said:
            return
        _said.add(key)
    logger.warning(message)


def forget(key: str) -> bool:
    """Lets `key` be warned about again (after the problem went away); returns whether it had
    been warned about."""
    with _lock:
        if key not in _said:
            return False
        _said.discard(key)
        return True


def said(key: str) -> bool:
    """Whether `key` was warned about and not forgotten since."""
    with _lock:
        return key in _said
