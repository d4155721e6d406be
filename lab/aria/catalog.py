"""Service Broker operations: content sources, catalog items, content sharing policies
(vra-catalog-deployment.json).

A `com.vmw.blueprint` source imports the released cloud templates of its project each time it is
saved (POST, with `id` for an existing one); the items appear `catalogItemDelaySeconds` later.
Organization owners list every item (`/catalog/api/admin/items`); on `/catalog/api/items` a user
sees only items a `com.vmware.policy.catalog.entitlement` policy shares with them, with a group
they are in, or with every member of the item's project (principal type PROJECT).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from lab.aria.errors import AriaError, bad_request, not_found, stored
from lab.aria.handlers import Call, handler, now_iso, spring_page
from lab.aria.seed import User
from lab.aria.store import Store

BLUEPRINT_SOURCE = "com.vmw.blueprint"
ENTITLEMENT_POLICY = "com.vmware.policy.catalog.entitlement"
ITEM_KINDS = {"CATALOG_ITEM_IDENTIFIER", "CATALOG_SOURCE_IDENTIFIER"}
PRINCIPAL_KINDS = {"USER", "GROUP", "PROJECT", "ROLE"}
_NAMESPACE = uuid.UUID("1e7c3a52-4b1d-4f6e-9a8b-2c3d4e5f6a7b")


# -- content sources -------------------------------------------------------------------------


def _released(store: Store, project_id: str) -> list[dict[str, Any]]:
    """The project's cloud templates with at least one released version."""
    return [
        blueprint
        for blueprint in store.objects.blueprints.values()
        if blueprint["projectId"] == project_id
        and any(v["status"] == "RELEASED"
                for v in store.objects.versions.get(blueprint["id"], {}).values())
    ]


def _import(store: Store, source: dict[str, Any]) -> None:
    started = now_iso()
    project_id = source["config"]["sourceProjectId"]
    released = _released(store, project_id)
    visible_at = time.monotonic() + store.seed.catalogItemDelaySeconds
    wanted = set()
    for blueprint in released:
        item_id = str(uuid.uuid5(_NAMESPACE, f"{source['id']}/{blueprint['id']}"))
        wanted.add(item_id)
        is_new = item_id not in store.objects.items
        store.objects.items[item_id] = {
            "id": item_id,
            "name": blueprint["name"],
            "description": blueprint.get("description", ""),
            "projectIds": [project_id],
            "type": {"id": BLUEPRINT_SOURCE, "name": "VMware Cloud Templates"},
            "sourceId": source["id"],
            "sourceName": source["name"],
            "createdAt": started,
            "lastUpdatedAt": now_iso(),
        }
        store.objects.item_blueprint[item_id] = blueprint["id"]
        if is_new:
            store.objects.item_visible_at[item_id] = visible_at
    store.remove_items(
        lambda item_id: store.objects.items[item_id]["sourceId"] == source["id"]
        and item_id not in wanted
    )
    source.update(
        itemsFound=len(released),
        itemsImported=len(released),
        lastImportStartedAt=started,
        lastImportCompletedAt=now_iso(),
        lastImportErrors=[],
    )


@handler("POST", "/catalog/api/admin/sources")
def save_source(store: Store, call: Call) -> tuple[int, Any]:
    body = call.body or {}
    if body.get("typeId") != BLUEPRINT_SOURCE:
        raise bad_request(f"The lab supports content sources of type {BLUEPRINT_SOURCE} only")
    project_id = (body.get("config") or {}).get("sourceProjectId")
    if not isinstance(project_id, str) or project_id not in store.objects.projects:
        raise bad_request(f"config.sourceProjectId: project {project_id!r} not found")
    source_id = body.get("id")
    existing = stored(store.objects.sources, "Catalog source", source_id) if source_id else None
    clash = any(s["name"] == body["name"] and s["id"] != source_id
                for s in store.objects.sources.values())
    if clash:
        raise bad_request(f"Catalog source with name '{body['name']}' already exists")
    if call.one("validationOnly") == "true":
        return 200, {**body, "id": source_id or str(uuid.uuid4())}
    username = call.user.username if call.user else None
    doc = existing or {"id": str(uuid.uuid4()), "createdAt": now_iso(), "createdBy": username}
    doc.update(
        name=body["name"],
        description=body.get("description", ""),
        typeId=BLUEPRINT_SOURCE,
        config={"sourceProjectId": project_id},
        projectId=project_id,
        global_=False,
        lastUpdatedAt=now_iso(),
        lastUpdatedBy=username,
    )
    doc["global"] = doc.pop("global_")
    store.objects.sources[doc["id"]] = doc
    _import(store, doc)
    return (200 if existing else 201), doc


@handler("GET", "/catalog/api/admin/sources")
def list_sources(store: Store, call: Call) -> tuple[int, Any]:
    project_id = call.one("projectId")
    found = [s for s in store.objects.sources.values()
             if project_id is None or s["projectId"] == project_id]
    return 200, spring_page(call, searched(call, found, "name"))


@handler("GET", "/catalog/api/admin/sources/{sourceId}")
def get_source(store: Store, call: Call) -> tuple[int, Any]:
    return 200, stored(store.objects.sources, "Catalog source", call.params["sourceId"])


@handler("DELETE", "/catalog/api/admin/sources/{sourceId}")
def delete_source(store: Store, call: Call) -> tuple[int, Any]:
    source_id = call.params["sourceId"]
    if store.objects.sources.pop(source_id, None) is not None:
        store.remove_items(lambda item_id: store.objects.items[item_id]["sourceId"] == source_id)
    return 204, None


# -- catalog items ---------------------------------------------------------------------------


def _listed(store: Store) -> list[dict[str, Any]]:
    now = time.monotonic()
    return [
        item for item_id, item in store.objects.items.items()
        if store.objects.item_visible_at.get(item_id, 0.0) <= now
    ]


def _shared_with(store: Store, user: User, item: dict[str, Any]) -> bool:
    mine = {("USER", user.username), *(("GROUP", group) for group in user.groups)}
    for policy in store.objects.policies.values():
        if policy.get("projectId") not in (None, *item["projectIds"]):
            continue
        for entitled in (policy.get("definition") or {}).get("entitledUsers", []):
            shares = any(
                (entry["type"] == "CATALOG_ITEM_IDENTIFIER" and entry["id"] == item["id"])
                or (entry["type"] == "CATALOG_SOURCE_IDENTIFIER"
                    and entry["id"] == item["sourceId"])
                for entry in entitled.get("items", [])
            )
            principals = entitled.get("principals", [])
            if shares and any(
                (p["type"], p.get("referenceId")) in mine or p["type"] == "PROJECT"
                for p in principals
            ):
                return True
    return False


def searched(call: Call, docs: Iterable[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    """The documents whose `fields` contain the `search` parameter (any case); all without it."""
    search = (call.one("search") or "").lower()
    return [doc for doc in docs if not search or any(search in doc[f].lower() for f in fields)]


def _search(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    projects = set(call.many("projects")) | set(call.many("projectId"))
    sources = set(call.many("sourceIds"))
    return [
        item for item in searched(call, items, "name", "description")
        if (not projects or projects & set(item["projectIds"]))
        and (not sources or item["sourceId"] in sources)
    ]


@handler("GET", "/catalog/api/admin/items")
def admin_items(store: Store, call: Call) -> tuple[int, Any]:
    if call.user is None or not call.user.admin:
        raise AriaError(403, "Only an organization owner can list all catalog items")
    return 200, spring_page(call, _search(call, _listed(store)))


@handler("GET", "/catalog/api/items")
def list_items(store: Store, call: Call) -> tuple[int, Any]:
    assert call.user is not None
    user = call.user
    visible = [item for item in _listed(store) if _shared_with(store, user, item)]
    return 200, spring_page(call, _search(call, visible))


@handler("GET", "/catalog/api/items/{id}")
def get_item(store: Store, call: Call) -> tuple[int, Any]:
    assert call.user is not None
    item = next((i for i in _listed(store) if i["id"] == call.params["id"]), None)
    if item is None or not (call.user.admin or _shared_with(store, call.user, item)):
        raise not_found("Catalog item", call.params["id"])
    return 200, item


# -- content sharing policies ----------------------------------------------------------------


def _check_definition(store: Store, definition: Any) -> None:
    entitled = (definition or {}).get("entitledUsers") if isinstance(definition, dict) else None
    if not isinstance(entitled, list) or not entitled:
        raise bad_request("definition.entitledUsers must list at least one entry")
    principals = {(p.type, p.referenceId) for p in store.seed.principals()}
    for index, entry in enumerate(entitled):
        where = f"definition.entitledUsers[{index}]"
        if not isinstance(entry, dict) or entry.get("userType") not in ("USER", "ROLE"):
            raise bad_request(f"{where}.userType must be USER or ROLE")
        for item in entry.get("items") or []:
            kind, item_id = item.get("type"), item.get("id")
            if kind not in ITEM_KINDS:
                raise bad_request(f"{where}.items: unknown type {kind!r}")
            collection = store.objects.items if kind == "CATALOG_ITEM_IDENTIFIER" \
                else store.objects.sources
            if item_id not in collection:
                raise bad_request(f"{where}.items: {kind} {item_id!r} not found")
        for principal in entry.get("principals") or []:
            kind, ref = principal.get("type"), principal.get("referenceId")
            if kind not in PRINCIPAL_KINDS:
                raise bad_request(f"{where}.principals: unknown type {kind!r}")
            if kind in ("USER", "GROUP") and (kind, ref) not in principals:
                raise bad_request(f"{where}.principals: {kind.lower()} {ref!r} not found")


@handler("POST", "/policy/api/policies")
def save_policy(store: Store, call: Call) -> tuple[int, Any]:
    dry_run = call.one("dryRun")
    if dry_run not in ("true", "false"):
        raise bad_request("Query parameter 'dryRun' must be true or false")
    body = call.body or {}
    if body.get("typeId") != ENTITLEMENT_POLICY:
        raise bad_request(f"The lab supports policies of type {ENTITLEMENT_POLICY} only")
    project_id = body.get("projectId")
    if project_id is not None and project_id not in store.objects.projects:
        raise bad_request(f"projectId: project {project_id!r} not found")
    _check_definition(store, body.get("definition"))
    policy_id = body.get("id")
    existing = stored(store.objects.policies, "Policy", policy_id) if policy_id else None
    if dry_run == "true":
        return 200, None
    username = call.user.username if call.user else None
    doc = existing or {"id": str(uuid.uuid4()), "createdAt": now_iso(), "createdBy": username,
                       "orgId": store.seed.orgId}
    doc.update(
        name=body.get("name", ""),
        description=body.get("description", ""),
        typeId=ENTITLEMENT_POLICY,
        enforcementType=body.get("enforcementType", "HARD"),
        definition=body["definition"],
        lastUpdatedAt=now_iso(),
        lastUpdatedBy=username,
    )
    if project_id is not None:
        doc["projectId"] = project_id
    else:
        doc.pop("projectId", None)
    store.objects.policies[doc["id"]] = doc
    return 201, doc


@handler("GET", "/policy/api/policies")
def list_policies(store: Store, call: Call) -> tuple[int, Any]:
    return 200, spring_page(call, searched(call, store.objects.policies.values(), "name"))


@handler("GET", "/policy/api/policies/{id}")
def get_policy(store: Store, call: Call) -> tuple[int, Any]:
    return 200, stored(store.objects.policies, "Policy", call.params["id"])


@handler("DELETE", "/policy/api/policies/{id}")
def delete_policy(store: Store, call: Call) -> tuple[int, Any]:
    store.objects.policies.pop(call.params["id"], None)
    return 204, None
