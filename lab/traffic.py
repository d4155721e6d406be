"""What both API labs share: injected faults and the request log, behind one lock, and (in
`LabStore`) the seed a lab starts from and the bearer tokens it issued.

Endpoints run in a thread pool, so every read-modify-write goes through `Traffic.lock`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar


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


class Expiring(Protocol):
    expires_at: float  # epoch seconds


SeedT = TypeVar("SeedT")
TokenT = TypeVar("TokenT", bound=Expiring)


class Patch(Protocol[SeedT]):
    def apply(self, seed: SeedT) -> SeedT: ...


class LabStore(Traffic, Generic[SeedT, TokenT]):
    """A lab's state besides its objects: the seed (replaced by an operator, restored to the one
    the lab started with; either resets the lab) and the bearer tokens it issued. A store fills
    its objects from the seed in `reset_objects`."""

    def __init__(self, seed: SeedT) -> None:
        super().__init__()
        self.base_seed = seed
        self.seed = seed
        self.tokens: dict[str, TokenT] = {}

    def reset_objects(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        with self.lock:
            self.reset_objects()
            self.tokens.clear()
            self.faults.clear()
            self.clear_log()

    def replace_seed(self, patch: Patch[SeedT]) -> SeedT:
        with self.lock:
            self.seed = patch.apply(self.seed)
            self.reset()
            return self.seed

    def restore_seed(self) -> SeedT:
        with self.lock:
            self.seed = self.base_seed
            self.reset()
            return self.seed

    def valid_token(self, token_id: str) -> TokenT | None:
        with self.lock:
            token = self.tokens.get(token_id)
            if token is None or token.expires_at <= time.time():
                return None
            return token

    def expire_token(self, token_id: str) -> None:
        """Make a bearer token expire now (the `expireToken` fault)."""
        with self.lock:
            if token_id in self.tokens:
                self.tokens[token_id].expires_at = time.time()
