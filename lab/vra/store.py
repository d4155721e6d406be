"""All lab state, in memory, behind one lock: the seed, vRA objects, tokens, faults, request log.

Endpoints run in a thread pool, so every read-modify-write goes through `Store.lock`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from lab.traffic import Fault as Fault  # re-exported for the operator routes
from lab.traffic import LabStore
from lab.vra.seed import Seed


@dataclass
class Token:
    username: str
    tenant: str
    expires_at: float  # epoch seconds


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
    # Software component id -> field id -> value of its SECURE_STRING properties. Kept here, not
    # in the stored document, whose copy holds an empty value as vRA's exports show.
    secured_values: dict[str, dict[str, str]] = field(default_factory=dict)


class Store(LabStore[Seed, Token]):
    def __init__(self, seed: Seed) -> None:
        super().__init__(seed)
        self.objects = Objects()
        self.reset()

    def reset_objects(self) -> None:
        self.objects = Objects()
        for machine in self.seed.sourceMachines:
            self.objects.source_machines[machine.id] = source_machine_doc(machine.id, machine.name)

    # -- tokens -----------------------------------------------------------------------------------

    def issue_token(self, username: str) -> tuple[str, Token]:
        with self.lock:
            token_id = secrets.token_urlsafe(48)
            token = Token(username, self.seed.tenant, time.time() + self.seed.tokenLifetimeSeconds)
            self.tokens[token_id] = token
            return token_id, token

    def revoke_token(self, token_id: str) -> bool:
        with self.lock:
            return self.tokens.pop(token_id, None) is not None


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
