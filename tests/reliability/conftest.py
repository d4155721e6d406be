"""Shared by the fault-matrix tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine


@pytest.fixture
def make_engine() -> Callable[[DynamicHost], LabEngine]:
    """A fresh engine (empty state) on a given provider host."""
    return lambda host: LabEngine(host=host)
