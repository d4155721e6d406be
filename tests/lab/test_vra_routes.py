"""The lab answers the vRA 7 routes of docs/vra7-routes.md, and no others."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from lab.vra.app import create_app
from tests.support.vra_fixture import VraApi, vra_error
from tests.support.vra_routes import route_of, routes


def _walk(app_routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app, through included routers."""
    for route in app_routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            context = getattr(route, "include_context", None)
            inner = prefix + (getattr(context, "prefix", "") or "")
            yield from _walk(route.original_router.routes, inner)
        elif getattr(route, "methods", None):
            for method in route.methods:
                yield method, prefix + route.path


def _sample(path: str) -> str:
    """A concrete path for a template: `{id}` becomes `xidx`."""
    return path.replace("{", "x").replace("}", "")


def test_every_lab_route_is_in_the_table_and_every_table_route_in_the_lab() -> None:
    app, _ = create_app()
    every = _walk(app.app.routes)  # type: ignore[attr-defined]
    served = {(m, _sample(p)) for m, p in every if not p.startswith("/__lab")}
    assert served, "no routes found: the walk over the app does not fit this FastAPI"
    assert sorted((m, p) for m, p in served if route_of(m, p) is None) == []
    for route in routes():
        assert any(route.matches(m, p) for m, p in served), route
        # Every row names its reference: the 7.0/7.1 collection, or the 7.2 request.
        assert route.in_70 or route.name_72


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/catalog-service/api/services/any", 405),
        ("DELETE", "/catalog-service/api/entitlements/any", 405),
        ("GET", "/catalog-service/api/no-such-thing", 404),
        ("POST", "/composition-service/api/blueprintdocuments", 405),
    ],
)
def test_routes_vra7_lacks_are_refused_as_vra_would(
    vra_api: VraApi, method: str, path: str, status: int
) -> None:
    response = vra_api.call(method, path, {} if method == "POST" else None)
    assert response.status_code == status
    assert vra_error(response)["code"] == 20116
