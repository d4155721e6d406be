"""All lab state, in memory, behind one lock: the seed, vRA objects, tokens, faults, request log.

Endpoints run in a thread pool, so every read-modify-write goes through `Store.lock`.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from lab.vra.seed import Seed, SeedPatch


@dataclass
class Token:
    username: str
    tenant: str
    expires_at: float  # epoch seconds


@dataclass
class Fault:
    """One injected fault; applies to the next `count` vRA requests that match it."""

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


@dataclass
class Objects:
    """The vRA objects of one tenant, keyed by id, in creation order."""

    software_components: dict[str, dict[str, Any]] = field(default_factory=dict)
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalog_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Catalog item id -> time.monotonic() from which it is listed (it appears after publish).
    catalog_visible_at: dict[str, float] = field(default_factory=dict)
    # Catalog item id -> what a request gets, fixed when its blueprint was last saved published.
    request_snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    entitlements: dict[str, dict[str, Any]] = field(default_factory=dict)
    source_machines: dict[str, dict[str, Any]] = field(default_factory=dict)


class Store:
    def __init__(self, seed: Seed) -> None:
        self.lock = threading.RLock()
        self.base_seed = seed
        self.seed = seed
        self.objects = Objects()
        self.tokens: dict[str, Token] = {}
        self.faults: list[Fault] = []
        self.log: list[dict[str, Any]] = []
        self._seq = 0
        self.reset()

    # -- seed and reset ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.objects = Objects()
            for machine in self.seed.sourceMachines:
                self.objects.source_machines[machine.id] = source_machine_doc(
                    machine.id, machine.name
                )
            self.tokens.clear()
            self.faults.clear()
            self.clear_log()

    def replace_seed(self, patch: SeedPatch) -> Seed:
        with self.lock:
            self.seed = patch.apply(self.seed)
            self.reset()
            return self.seed

    def restore_seed(self) -> Seed:
        with self.lock:
            self.seed = self.base_seed
            self.reset()
            return self.seed

    # -- tokens -----------------------------------------------------------------------------------

    def issue_token(self, username: str) -> tuple[str, Token]:
        with self.lock:
            token_id = secrets.token_urlsafe(48)
            token = Token(username, self.seed.tenant, time.time() + self.seed.tokenLifetimeSeconds)
            self.tokens[token_id] = token
            return token_id, token

    def valid_token(self, token_id: str) -> Token | None:
        with self.lock:
            token = self.tokens.get(token_id)
            if token is None or token.expires_at <= time.time():
                return None
            return token

    def revoke_token(self, token_id: str) -> bool:
        with self.lock:
            return self.tokens.pop(token_id, None) is not None

    def expire_token(self, token_id: str) -> None:
        with self.lock:
            if token_id in self.tokens:
                self.tokens[token_id].expires_at = time.time()

    # -- faults and request log -------------------------------------------------------------------

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

    # -- inspection -------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self.lock:
            now = time.monotonic()
            kinds = {
                "softwareComponents": self.objects.software_components,
                "blueprints": self.objects.blueprints,
                "catalogItems": self.objects.catalog_items,
                "services": self.objects.services,
                "entitlements": self.objects.entitlements,
                "sourceMachines": self.objects.source_machines,
            }
            state: dict[str, Any] = {
                kind: {"count": len(items), "ids": list(items)} for kind, items in kinds.items()
            }
            state["entitlements"]["activeIds"] = [
                key for key, e in self.objects.entitlements.items() if e.get("status") == "ACTIVE"
            ]
            state["catalogItems"]["pendingIds"] = [
                item_id
                for item_id, visible_at in self.objects.catalog_visible_at.items()
                if visible_at > now
            ]
            state["tokens"] = {"count": len(self.tokens)}
            state["faults"] = {"count": len(self.faults)}
            state["requests"] = {"count": len(self.log)}
            return state


VSPHERE_MACHINE = "Infrastructure.CatalogItem.Machine.Virtual.vSphere"


# Capacity of a template's one disk when nothing says otherwise (the lab's choice).
DEFAULT_DISK_GB = 16


def source_machine_doc(
    machine_id: str, name: str, disk_gb: int = DEFAULT_DISK_GB
) -> dict[str, Any]:
    """A vSphere template as the iaas-proxy-provider returns it by id, with its disks; lists
    leave `disks` out (docs/vra7-api.md, Source machines)."""
    return {
        "id": machine_id,
        "name": name,
        "description": None,
        "platformTypeId": VSPHERE_MACHINE,
        "isTemplate": True,
        "disks": [
            {
                "id": 0,
                "label": "Hard disk 1",
                "capacity": disk_gb,
                "volumeId": 0,
                "is_clone": True,
                "initial_location": "",
                "storage_reservation_policy": "",
                "userCreated": False,
            }
        ],
    }


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
