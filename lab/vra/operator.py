"""Operator endpoints under `/__lab/` (never on vRA paths): seed, reset, faults, log, state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Self

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_snake

from lab.vra.documents import JsonBody
from lab.vra.errors import already_exists, parse_body
from lab.vra.seed import SeedPatch
from lab.vra.software import sealed_digests
from lab.vra.store import Fault, Store, StoreDep, source_machine_doc

OPERATOR_PREFIX = "/__lab"  # never a vRA path: faults and the request log skip it
router = APIRouter(prefix=OPERATOR_PREFIX)


class FaultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(default=None, pattern=r"^[A-Z]+$")
    pathPrefix: str | None = Field(default=None, pattern=r"^/")
    count: int = Field(default=1, ge=1)
    status: int | None = Field(default=None, ge=400, le=599)
    retryAfter: float | None = Field(default=None, ge=0)
    latencyMs: float | None = Field(default=None, ge=0)
    drop: bool = False
    expireToken: bool = False

    @model_validator(mode="after")
    def _has_effect(self) -> Self:
        if self.status is None and not self.latencyMs and not self.drop and not self.expireToken:
            raise ValueError("a fault needs status, latencyMs, drop or expireToken")
        if self.retryAfter is not None and self.status is None:
            raise ValueError("retryAfter only goes with status")
        if self.pathPrefix is not None and self.pathPrefix.startswith(OPERATOR_PREFIX):
            raise ValueError(f"faults apply to vRA paths, not to {OPERATOR_PREFIX}")
        return self

    def fault(self) -> Fault:
        """The store's `Fault`: the same fields, snake_case."""
        return Fault(**{to_snake(key): value for key, value in self.model_dump().items()})


class SourceMachineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    id: str | None = None


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/reset")
def reset(store: StoreDep) -> dict[str, Any]:
    store.reset()
    return store.state()


@router.get("/seed")
def get_seed(store: StoreDep) -> dict[str, Any]:
    return store.seed.model_dump()


@router.put("/seed")
def replace_seed(body: JsonBody, store: StoreDep) -> dict[str, Any]:
    patch = parse_body(SeedPatch, body, "seed")
    return store.replace_seed(patch).model_dump()


@router.delete("/seed")
def restore_seed(store: StoreDep) -> dict[str, Any]:
    """Back to the seed the lab started with (then reset)."""
    return store.restore_seed().model_dump()


@router.post("/source-machines", status_code=201)
def add_source_machine(body: JsonBody, store: StoreDep) -> JSONResponse:
    wanted = parse_body(SourceMachineBody, body, "source machine")
    with store.lock:
        machines = store.objects.source_machines
        if any(m["name"] == wanted.name for m in machines.values()):
            raise already_exists("Source machine with name", wanted.name)
        machine_id = wanted.id or str(uuid.uuid4())
        if machine_id in machines:
            raise already_exists("Source machine with id", machine_id)
        machines[machine_id] = source_machine_doc(machine_id, wanted.name)
        return JSONResponse(machines[machine_id], status_code=201)


@router.post("/faults", status_code=201)
def add_fault(body: JsonBody, store: StoreDep) -> dict[str, Any]:
    wanted = parse_body(FaultBody, body, "fault")
    store.add_fault(wanted.fault())
    return wanted.model_dump()


@router.get("/requests")
def requests(store: StoreDep) -> list[dict[str, Any]]:
    return store.requests()


def _add_clear_route(path: str, clear: Callable[[Store], None]) -> None:
    """DELETE `path`: empty what it lists (pending faults, logged requests); 204."""

    @router.delete(path, status_code=204)
    def clear_all(store: StoreDep) -> Response:
        clear(store)
        return Response(status_code=204)


_add_clear_route("/faults", lambda store: store.clear_faults())
_add_clear_route("/requests", lambda store: store.clear_log())


@router.get("/state")
def state(store: StoreDep) -> dict[str, Any]:
    return store.state()


@router.get("/secured")
def secured(store: StoreDep) -> dict[str, dict[str, str]]:
    """SHA-256 of each secured software property value the lab holds, per component."""
    with store.lock:
        return sealed_digests(store)
