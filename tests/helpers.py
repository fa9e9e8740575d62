"""Small helpers shared by tests."""

import time


def wait_for(condition, timeout: float = 20.0) -> bool:
    """Poll until `condition()` is true (a real worker is doing the work), or give up after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
