"""Assemble the Aria lab: one dispatcher in front of every published operation, the CSP login,
the operator routes, faults and the request log.

Every API request is matched against the published descriptions (lab/aria/spec.py): an unknown
path is 404, a known path with another method 405; undeclared query parameters, a missing or
malformed `apiVersion`, and a body that breaks the operation's schema are 400. The lab's own
answer is checked against the response schema too (a mismatch is a lab bug, answered as 500).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from lab.aria import blueprints, catalog, iaas, operator, spec  # noqa: F401 (registers handlers)
from lab.aria.errors import AriaError, error_response
from lab.aria.handlers import ROUTES, Call
from lab.aria.seed import Seed, User
from lab.aria.store import Store
from lab.vra.collector import VcenterCollector
from lab.vra.faults import FaultsAndLog
from lab.vra.identity import bearer_id

# Not in the published descriptions; its form is from PowervRA's Connect-vRAServer and
# terraform-provider-vra's docs (docs/aria8-api.md).
CSP_LOGIN = "/csp/gateway/am/api/login"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise AriaError(400, "Request body is not valid JSON") from None


async def csp_login(request: Request) -> Response:
    if "access_token" not in parse_qs(request.url.query, keep_blank_values=True):
        raise AriaError(400, "The lab serves the CSP login as POST ...?access_token only")
    body = _json(await request.body())
    if not isinstance(body, dict) or not body.get("username") or not body.get("password"):
        raise AriaError(400, "username and password are required")
    store = _store(request)
    with store.lock:
        user = next(
            (
                u for u in store.seed.users
                if u.username == body["username"] and u.password == body["password"]
                and body.get("domain", u.domain) == u.domain
            ),
            None,
        )
        if user is None:
            raise AriaError(403, "Invalid username, password or domain")
        refresh = store.issue_refresh_token(user.username)
    # The CSP answer carries the refresh token under `refresh_token` (snake case).
    return JSONResponse({"refresh_token": refresh, "token_type": "bearer",
                         "scope": "openid", "expires_in": 1800})


def _user(request: Request, store: Store) -> User:
    token_id = bearer_id(request.headers.get("authorization"))
    token = store.valid_token(token_id) if token_id else None
    user = next((u for u in store.seed.users if token and u.username == token.username), None)
    if user is None:
        reason = "missing" if token_id is None else "invalid or expired"
        raise AriaError(401, f"Authentication required: bearer token {reason}")
    return user


def _check_query(operation: spec.Operation, query: dict[str, list[str]]) -> None:
    undeclared = sorted(set(query) - operation.query)
    if undeclared:
        raise AriaError(400, f"Unknown query parameter(s) for this operation: {undeclared}")
    missing = sorted(operation.required_query - set(query))
    if missing:
        raise AriaError(400, f"Required query parameter(s) missing: {missing}")
    if operation.has_api_version:
        version = (query.get("apiVersion") or [""])[-1]
        if not spec.API_VERSION.match(version):
            raise AriaError(400, "apiVersion (yyyy-MM-dd) is required on every call")


async def dispatch(request: Request) -> Response:
    method, path = request.method, request.url.path
    if path == CSP_LOGIN and method == "POST":
        return await csp_login(request)
    operation, params, known = spec.match(method, path)
    if operation is None:
        if known:
            raise AriaError(405, f"Method {method} is not allowed on {path}")
        raise AriaError(404, f"No such API path: {path}")
    route = ROUTES[(operation.method, operation.template)]
    query = parse_qs(request.url.query, keep_blank_values=True)
    _check_query(operation, query)
    store = _store(request)
    user = _user(request, store) if route.auth else None
    body = _json(await request.body())
    if operation.body is not None:
        if body is None and operation.body_required:
            raise AriaError(400, "A request body is required")
        found = spec.problems(operation.body, body) if body is not None else []
        if found:
            raise AriaError(400, "Request body does not match the API schema: " + "; ".join(found))

    def run() -> tuple[int, Any]:
        with store.lock:
            return route.run(store, Call(params=params, query=query, body=body, user=user))

    status, answer = await run_in_threadpool(run)
    validator = operation.responses.get(status)
    if validator is not None:
        found = spec.problems(validator, answer)
        if found:
            return error_response(500, "Lab answer breaks the published schema: " + str(found))
    if answer is None:
        return Response(status_code=status)
    return JSONResponse(answer, status_code=status)


async def _aria_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AriaError)
    return error_response(exc.status, exc.message)


async def _crash(_: Request, exc: Exception) -> Response:
    return error_response(500, f"Internal lab error: {type(exc).__name__}: {exc}")


def create_app(
    seed: Seed | None = None, collector: VcenterCollector | None = None
) -> tuple[ASGIApp, Store]:
    store = Store(seed or Seed(), collector)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[*operator.routes(), Route("/{path:path}", dispatch, methods=methods)],
        exception_handlers={AriaError: _aria_error, Exception: _crash},
    )
    app.state.store = store
    return FaultsAndLog(app, store), store
