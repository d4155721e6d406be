"""Polling for something a lab does a moment later (a catalog item, an expired token)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], what: str, timeout: float = 10.0, interval: float = 0.05
) -> T:
    """Call `condition` until it returns something truthy and return that; fail naming `what`
    once `timeout` seconds have passed (a deadline, never a measured duration)."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"gave up waiting {timeout:g} s for {what}"
        time.sleep(interval)
    return result
