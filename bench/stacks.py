"""Stack configs the offline benchmarks size, and the engine stand-in the lab benchmarks drive:
`tests.support.engine`'s `LabEngine` with a timeline and a serial mode added."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks

from lab.vra import VraLab
from tests.support.engine import DYNAMIC_PREFIX, LabEngine
from tests.support.program import dev_config_values

VRA_TYPE = f"{DYNAMIC_PREFIX}/vra:"  # type tokens of the vRA resources


def sized_config(hosts: int) -> dict[str, Any]:
    """The dev stack with its one pool grown to `hosts` identical hosts."""
    raw = dev_config_values()
    pool = raw["gpu-mlaas:pools"][0]
    pool["hosts"] = [f"{pool['cluster']}_H{i}" for i in range(hosts)]
    return raw


@dataclass
class Call:
    """One resource registration the engine answered: when, on which thread, what it did."""

    key: str
    thread: int
    start: float
    end: float


@dataclass
class TimedEngine(LabEngine):
    """LabEngine plus a timeline of dynamic-resource registrations.

    `serial=True` answers one dynamic resource at a time and records the vRA calls each one
    made (`calls_by_key`), for per-resource call counts.
    """

    vra: VraLab | None = None
    serial: bool = False
    timeline: list[Call] = field(default_factory=list)
    calls_by_key: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _serial_lock: threading.Lock = field(default_factory=threading.Lock)

    def _register(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC_PREFIX):
            return super()._register(args)
        key = f"{args.typ}::{args.name}"
        if self.serial:
            with self._serial_lock:
                assert self.vra is not None, "serial mode reads the vRA lab's request log"
                self.vra.clear_requests()
                result = self._timed(key, args)
                self.calls_by_key[key] = self.vra.requests()
                return result
        return self._timed(key, args)

    def _timed(self, key: str, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        start = time.monotonic()
        try:
            return super()._register(args)
        finally:
            call = Call(key, threading.get_ident(), start, time.monotonic())
            with self._lock:
                self.timeline.append(call)


def max_overlap(calls: list[Call]) -> int:
    """Most registrations in flight at one moment."""
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best
