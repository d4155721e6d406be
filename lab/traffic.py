"""What both API labs share: injected faults and the request log, behind one lock.

Endpoints run in a thread pool, so every read-modify-write goes through `Traffic.lock`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Fault:
    """One injected fault; applies to the next `count` API requests that match it."""

    method: str | None
    path_prefix: str | None
    count: int
    status: int | None
    retry_after: float | None
    latency_ms: float | None
    drop: bool
    expire_token: bool

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )

    def label(self) -> str:
        parts = []
        if self.latency_ms:
            parts.append(f"latency:{self.latency_ms:g}ms")
        if self.expire_token:
            parts.append("expireToken")
        if self.drop:
            parts.append("drop")
        if self.status is not None:
            parts.append(f"status:{self.status}")
        return "+".join(parts)


class Traffic:
    """Faults and request log of one lab; a lab's store adds its objects and tokens."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.log: list[dict[str, Any]] = []
        self._seq = 0

    def expire_token(self, token_id: str) -> None:
        """Make a bearer token expire now (the `expireToken` fault); each lab keeps its own."""
        raise NotImplementedError

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, with one use consumed."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record(self, method: str, path: str, query: str, fault: Fault | None) -> dict[str, Any]:
        """Append a log entry; the caller fills in `status` once the response starts."""
        with self.lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "method": method,
                "path": path,
                "query": query,
                "status": None,
                "fault": fault.label() if fault else None,
            }
            self.log.append(entry)
            return entry

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()
            self._seq = 0

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(entry) for entry in self.log]
