"""Shared by the fault-matrix tests: a lab engine that, like Pulumi's, finishes the steps already
under way when one step fails, instead of leaving them running into the next `up`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi.runtime import mocks

from tests.e2e.engine import LabEngine
from tests.support.dynamic_host import DynamicHost

IN_FLIGHT_DEADLINE_SECONDS = 60.0


@dataclass
class FinishingEngine(LabEngine):
    """`LabEngine` whose failed `up` returns only once no provider call is in flight.

    The SDK's `wait_for_rpcs` re-raises the first failed registration and leaves the others
    outstanding on the event loop, where they would resume inside the next `up` and race its
    own registrations. Pulumi's engine starts no new step after a failure and waits for the
    running ones, so do the same: cancel what has not started, wait for what has.
    """

    _busy: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        with self._idle:
            self._busy += 1
        try:
            return super().new_resource(args)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def up(self, config: Mapping[str, str], secret_keys: list[str]) -> dict[str, Any]:
        try:
            return super().up(config, secret_keys)
        except BaseException:
            self._finish_in_flight()
            raise

    def _finish_in_flight(self) -> None:
        loop = asyncio.get_event_loop_policy().get_event_loop()
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # A registration a worker thread picked up just before the cancel is about to enter
        # new_resource; give it a moment to be counted, then wait for every counted one.
        time.sleep(0.05)
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, IN_FLIGHT_DEADLINE_SECONDS):
                raise AssertionError(f"{self._busy} provider call(s) still running")


@pytest.fixture
def make_engine() -> Callable[[DynamicHost], FinishingEngine]:
    """A fresh engine (empty state) on a given provider host."""
    return lambda host: FinishingEngine(host=host)
