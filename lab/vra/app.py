"""Assemble the vRA lab: one router per vRA service, the operator routes, vRA-style errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from lab.vra import catalog, composition, entitlements, iaas, identity, operator, software
from lab.vra.collector import VcenterCollector
from lab.vra.errors import INTERNAL, NOT_FOUND, VraError, error_response, invalid
from lab.vra.faults import FaultsAndLog
from lab.vra.seed import Seed
from lab.vra.store import Store


async def _vra_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VraError)
    return error_response(exc.status, exc.code, exc.message, system_message=exc.system_message)


async def _bad_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    bad = invalid(f"Invalid request: {where}: {first['msg']}")
    return error_response(400, bad.code, bad.message, system_message=bad.system_message)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    # 404: no such route; 405: the route exists with other methods only (docs/vra7-routes.md).
    code = NOT_FOUND if exc.status_code in (404, 405) else invalid("").code
    return error_response(exc.status_code, code, str(exc.detail))


async def _crash(_: Request, exc: Exception) -> JSONResponse:
    return error_response(500, INTERNAL, f"Internal lab error: {type(exc).__name__}: {exc}")


def create_app(
    seed: Seed | None = None, collector: VcenterCollector | None = None
) -> tuple[ASGIApp, Store]:
    store = Store(seed or Seed())
    api = FastAPI(title="vRA 7.3 lab", docs_url=None, redoc_url=None, openapi_url=None)
    api.state.store = store
    api.state.collector = collector  # templates data-collected from a vCenter, if given
    routers = (
        identity.tokens,
        identity.tenants,
        iaas.router,
        software.router,
        composition.router,
        catalog.router,
        entitlements.router,
        operator.router,
    )
    for router in routers:
        api.include_router(router)
    api.add_exception_handler(VraError, _vra_error)
    api.add_exception_handler(RequestValidationError, _bad_request)
    api.add_exception_handler(HTTPException, _http_error)
    api.add_exception_handler(Exception, _crash)
    return FaultsAndLog(api, store), store
