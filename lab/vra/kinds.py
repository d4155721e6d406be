"""A kind of stored vRA object (software component type, blueprint, service, entitlement): its
look-up, the uniqueness rules vRA applies on create and update, and the routes every kind (or
every publishable kind) answers the same way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lab.vra.documents import JsonBody, created, info, parse_status, status_name, versioned
from lab.vra.errors import already_exists, invalid, not_found
from lab.vra.query import ListQuery
from lab.vra.store import Objects, Store, StoreDep

Doc = dict[str, Any]


def check_path_id(label: str, body_id: str | None, path_id: str) -> None:
    """A body that names an id must name the one in the path."""
    if body_id not in (None, path_id):
        raise invalid(f"{label} id {body_id!r} does not match the path {path_id!r}")


class Named(Protocol):
    """A checked request body: the id it names (if any) and the object's name."""

    @property
    def id(self) -> str | None: ...

    @property
    def name(self) -> str: ...


Checked = TypeVar("Checked", bound=Named)


def _no_hook(store: Store, doc: Doc) -> None:
    pass


@dataclass(frozen=True)
class Kind:
    noun: str  # as vRA's messages name it, e.g. "composite blueprint"
    docs_of: Callable[[Objects], dict[str, Doc]]  # where the store keeps them, by id
    after_save: Callable[[Store, Doc], None] = _no_hook  # what else a saved document changes

    def docs(self, store: Store) -> dict[str, Doc]:
        return self.docs_of(store.objects)

    def get(self, store: Store, key: str) -> Doc:
        doc = self.docs(store).get(key)
        if doc is None:
            raise not_found(self.noun, key)
        return doc

    def _refuse_name(self, store: Store, name: str, other_than: str | None) -> None:
        if any(d["name"] == name and d["id"] != other_than for d in self.docs(store).values()):
            raise already_exists(f"{self.noun.capitalize()} with name", name)

    def check_new(self, store: Store, key: str, name: str) -> None:
        """Refuse a create whose id or name another document has (409)."""
        if key in self.docs(store):
            raise already_exists(f"{self.noun.capitalize()} with id", key)
        self._refuse_name(store, name, None)

    def previous(self, store: Store, key: str, name: str) -> Doc:
        """The document an update replaces (404 if none); 409 if another one has the name."""
        doc = self.get(store, key)
        self._refuse_name(store, name, key)
        return doc

    def save(self, store: Store, doc: Doc) -> None:
        self.docs(store)[doc["id"]] = doc
        self.after_save(store, doc)

    def add_read_routes(
        self, router: APIRouter, base: str, view: Callable[[Doc], Doc] = dict
    ) -> None:
        """GET base (vRA's paged list of `view`s) and GET base/{id} (the whole document)."""

        @router.get(base)
        def list_docs(request: Request, store: StoreDep) -> dict[str, Any]:
            query = ListQuery.from_request(request)
            with store.lock:
                return query.apply([view(doc) for doc in self.docs(store).values()])

        @router.get(base + "/{key}")
        def get_doc(key: str, store: StoreDep) -> Doc:
            with store.lock:
                return self.get(store, key)

    def add_versioned_write_routes(
        self,
        router: APIRouter,
        base: str,
        parse: Callable[[JsonBody, bool], Checked],
        build: Callable[[Store, JsonBody, Checked], Doc],
    ) -> None:
        """POST base and PUT base/{id} of a catalog-service kind (services, entitlements): the
        server picks the id when the body names none, and stamps a version and creation date
        (`versioned`). `parse(body, creating)` checks the body (400), `build` makes the
        document once the id and name are known to be free (it may refuse with 400 too)."""

        @router.post(base, status_code=201)
        def create_doc(request: Request, body: JsonBody, store: StoreDep) -> JSONResponse:
            checked = parse(body, True)
            with store.lock:
                key = checked.id or str(uuid.uuid4())
                self.check_new(store, key, checked.name)
                doc = versioned(build(store, body, checked), key, None)
                self.save(store, doc)
            return created(request, f"{base}/{key}", doc)

        @router.put(base + "/{key}")
        def update_doc(key: str, body: JsonBody, store: StoreDep) -> Doc:
            checked = parse(body, False)
            check_path_id(self.noun.capitalize(), checked.id, key)
            with store.lock:
                previous = self.previous(store, key, checked.name)
                doc = versioned(build(store, body, checked), key, previous)
                self.save(store, doc)
                return doc

    def add_status_route(self, router: APIRouter, base: str) -> None:
        """PUT base/{id}/status: publish calls send the new state as a bare JSON string."""

        @router.put(base + "/{key}/status")
        def set_status(key: str, body: JsonBody, store: StoreDep) -> Doc:
            status = parse_status(body)
            with store.lock:
                doc = self.get(store, key)
                doc.update(publishStatus=status, publishStatusName=status_name(status))
                self.save(store, doc)
                return info(doc)
