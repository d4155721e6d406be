"""iaas-proxy-provider: the vSphere templates a clone blueprint can use (facts §4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from lab.vra.collector import source_machine_id
from lab.vra.errors import invalid
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
        machines = [dict(m) for m in store.objects.source_machines.values()]
    if platform is not None:
        machines = [m for m in machines if m["platformTypeId"] == platform]
    return query.apply(machines)
