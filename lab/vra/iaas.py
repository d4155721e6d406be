"""iaas-proxy-provider: the vSphere templates a clone blueprint can use (docs/vra7-api.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from lab.vra.collector import source_machine_id
from lab.vra.errors import invalid, not_found
from lab.vra.identity import require_token
from lab.vra.query import ListQuery
from lab.vra.store import StoreDep, source_machine_doc

CLONE_ACTIONS = {"FullClone", "LinkedClone"}

router = APIRouter(prefix="/iaas-proxy-provider/api", dependencies=[Depends(require_token)])


@router.get("/source-machines")
def list_source_machines(request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    action = request.query_params.get("actionId")
    platform = request.query_params.get("platformTypeId")
    if action is not None and action not in CLONE_ACTIONS:
        raise invalid(f"Unsupported actionId {action!r}; expected one of {sorted(CLONE_ACTIONS)}")
    collector = getattr(request.app.state, "collector", None)
    collected = collector.templates() if collector is not None else []
    with store.lock:
        for name in collected:
            machine_id = source_machine_id(name)
            store.objects.source_machines.setdefault(
                machine_id, source_machine_doc(machine_id, name)
            )
        machines = [
            {k: v for k, v in m.items() if k != "disks"}
            for m in store.objects.source_machines.values()
        ]
    if platform is not None:
        machines = [m for m in machines if m["platformTypeId"] == platform]
    return query.apply(machines)


@router.get("/source-machines/{machine_id}")
def get_source_machine(machine_id: str, store: StoreDep) -> dict[str, Any]:
    """"Retrieves a VM template by id with disks" (vRA 7.2 reference)."""
    with store.lock:
        machine = store.objects.source_machines.get(machine_id)
        if machine is None:
            raise not_found("source machine", machine_id)
        return dict(machine)
