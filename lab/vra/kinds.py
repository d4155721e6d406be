"""A kind of stored vRA object (software component type, blueprint, service, entitlement): its
look-up, the uniqueness rules vRA applies on create and update, and the routes every kind (or
every publishable kind) answers the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from lab.vra.documents import JsonBody, info, parse_status, status_name
from lab.vra.errors import already_exists, invalid, not_found
from lab.vra.query import ListQuery
from lab.vra.store import Objects, Store, StoreDep

Doc = dict[str, Any]


def check_path_id(label: str, body_id: str | None, path_id: str) -> None:
    """A body that names an id must name the one in the path."""
    if body_id not in (None, path_id):
        raise invalid(f"{label} id {body_id!r} does not match the path {path_id!r}")


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
