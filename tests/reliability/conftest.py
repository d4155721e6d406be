"""Shared by the fault-matrix tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.engine import LabEngine
from tests.support.dynamic_host import DynamicHost


@pytest.fixture
def make_engine() -> Callable[[DynamicHost], LabEngine]:
    """A fresh engine (empty state) on a given provider host."""
    return lambda host: LabEngine(host=host)
