"""Operator endpoints under `/__lab/` (never an API path): seed, reset, faults, request log,
state, and fabric images (templates the lab should know without a vCenter)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from lab.aria.errors import AriaError
from lab.aria.seed import SeedPatch
from lab.aria.store import Store
from lab.traffic import Fault
from lab.vra.operator import OPERATOR_PREFIX, FaultBody

M = TypeVar("M", bound=BaseModel)


class FabricImageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)


async def _parse(request: Request, model: type[M], what: str) -> M:
    try:
        return model.model_validate(json.loads(await request.body() or b"{}"))
    except (ValueError, ValidationError) as exc:
        raise AriaError(400, f"Invalid {what}: {exc}") from None


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _seed(store: Store) -> JSONResponse:
    return JSONResponse(store.seed.model_dump())


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def reset(request: Request) -> Response:
    store = _store(request)
    store.reset()
    return JSONResponse(store.state())


async def seed(request: Request) -> Response:
    store = _store(request)
    if request.method == "PUT":
        store.replace_seed(await _parse(request, SeedPatch, "seed"))
    elif request.method == "DELETE":
        store.restore_seed()
    return _seed(store)


async def faults(request: Request) -> Response:
    store = _store(request)
    if request.method == "DELETE":
        store.clear_faults()
        return Response(status_code=204)
    wanted = await _parse(request, FaultBody, "fault")
    store.add_fault(
        Fault(
            method=wanted.method,
            path_prefix=wanted.pathPrefix,
            count=wanted.count,
            status=wanted.status,
            retry_after=wanted.retryAfter,
            latency_ms=wanted.latencyMs,
            drop=wanted.drop,
            expire_token=wanted.expireToken,
        )
    )
    return JSONResponse(wanted.model_dump(), status_code=201)


async def requests_log(request: Request) -> Response:
    store = _store(request)
    if request.method == "DELETE":
        store.clear_log()
        return Response(status_code=204)
    return JSONResponse(store.requests())


async def state(request: Request) -> Response:
    return JSONResponse(_store(request).state())


async def fabric_images(request: Request) -> Response:
    store = _store(request)
    wanted = await _parse(request, FabricImageBody, "fabric image")
    with store.lock:
        if wanted.name not in store.objects.fabric_images:
            store.objects.fabric_images.append(wanted.name)
        images: list[Any] = list(store.objects.fabric_images)
    return JSONResponse(images, status_code=201)


def routes() -> list[BaseRoute]:
    prefix = OPERATOR_PREFIX
    return [
        Route(f"{prefix}/health", health, methods=["GET"]),
        Route(f"{prefix}/reset", reset, methods=["POST"]),
        Route(f"{prefix}/seed", seed, methods=["GET", "PUT", "DELETE"]),
        Route(f"{prefix}/faults", faults, methods=["POST", "DELETE"]),
        Route(f"{prefix}/requests", requests_log, methods=["GET", "DELETE"]),
        Route(f"{prefix}/state", state, methods=["GET"]),
        Route(f"{prefix}/fabric-images", fabric_images, methods=["POST"]),
    ]
