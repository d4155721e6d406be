"""IaaS API operations: login (refresh token -> bearer), projects, regions, image and flavor
profiles (vra-iaas.json). Bodies reach these handlers already checked against the schema."""

from __future__ import annotations

import uuid
from typing import Any

from lab.aria.errors import AriaError, bad_request, stored
from lab.aria.handlers import Call, handler, iaas_page, now_iso
from lab.aria.store import Store, links, project_doc


@handler("POST", "/iaas/api/login", auth=False)
def login(store: Store, call: Call) -> tuple[int, Any]:
    token = store.issue_token(str(call.body["refreshToken"]))
    if token is None:
        raise AriaError(400, "Invalid refresh token")
    return 200, {"tokenType": "Bearer", "token": token}


# -- projects --------------------------------------------------------------------------------


@handler("GET", "/iaas/api/projects")
def list_projects(store: Store, call: Call) -> tuple[int, Any]:
    projects = list(store.objects.projects.values())
    return 200, iaas_page(call, projects, filterable=True)


@handler("POST", "/iaas/api/projects")
def create_project(store: Store, call: Call) -> tuple[int, Any]:
    name = call.body["name"]
    if any(p["name"] == name for p in store.objects.projects.values()):
        raise bad_request(f"Project with name '{name}' already exists")
    project_id = str(uuid.uuid4())
    doc = project_doc(project_id, name, call.body.get("description", ""), store.seed.orgId)
    doc["createdAt"] = doc["updatedAt"] = now_iso()
    store.objects.projects[project_id] = doc
    return 201, doc


def _project(store: Store, project_id: str) -> dict[str, Any]:
    return stored(store.objects.projects, "Project", project_id)


@handler("GET", "/iaas/api/projects/{id}")
def get_project(store: Store, call: Call) -> tuple[int, Any]:
    return 200, _project(store, call.params["id"])


@handler("PATCH", "/iaas/api/projects/{id}")
def update_project(store: Store, call: Call) -> tuple[int, Any]:
    doc = _project(store, call.params["id"])
    name = call.body["name"]
    if any(p["name"] == name and p is not doc for p in store.objects.projects.values()):
        raise bad_request(f"Project with name '{name}' already exists")
    doc.update(name=name, description=call.body.get("description", ""), updatedAt=now_iso())
    return 200, doc


@handler("DELETE", "/iaas/api/projects/{id}")
def delete_project(store: Store, call: Call) -> tuple[int, Any]:
    project_id = call.params["id"]
    _project(store, project_id)
    users = [
        kind
        for kind, docs in (
            ("cloud templates", store.objects.blueprints),
            ("content sources", store.objects.sources),
            ("policies", store.objects.policies),
        )
        if any(doc.get("projectId") == project_id for doc in docs.values())
        or any(
            (doc.get("config") or {}).get("sourceProjectId") == project_id
            for doc in docs.values()
        )
    ]
    if users:
        raise AriaError(409, f"Project {project_id} is in use by {', '.join(users)}")
    del store.objects.projects[project_id]
    return 204, None


# -- regions ---------------------------------------------------------------------------------


@handler("GET", "/iaas/api/regions")
def list_regions(store: Store, call: Call) -> tuple[int, Any]:
    regions = [
        {**region.model_dump(), "orgId": store.seed.orgId,
         "_links": links(f"/iaas/api/regions/{region.id}")}
        for region in store.seed.regions
    ]
    return 200, iaas_page(call, regions)


def _region(store: Store, region_id: str) -> Any:
    region = next((r for r in store.seed.regions if r.id == region_id), None)
    if region is None:
        raise bad_request(f"Region with id '{region_id}' not found")
    return region


# -- image and flavor profiles ---------------------------------------------------------------


def _image_mappings(store: Store, mapping: dict[str, Any], region: Any) -> dict[str, Any]:
    known = store.known_fabric_images()
    result = {}
    for key, wanted in mapping.items():
        image = wanted.get("name") or wanted.get("id") or wanted.get("externalId")
        if not image:
            raise bad_request(f"Image mapping '{key}': a fabric image name or id is required")
        if image not in known:
            raise bad_request(f"Image mapping '{key}': fabric image '{image}' not found")
        result[key] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fabric-image/{image}")),
            "name": image,
            "externalId": image,
            "externalRegionId": region.externalRegionId,
            "cloudConfig": wanted.get("cloudConfig", ""),
            "_links": links(f"/iaas/api/fabric-images/{image}"),
        }
    return result


def _flavor_mappings(mapping: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for key, wanted in mapping.items():
        # vSphere needs both (FabricFlavorDescription: "Mandatory for private clouds").
        if not wanted.get("cpuCount") or not wanted.get("memoryInMB"):
            raise bad_request(f"Flavor mapping '{key}': cpuCount and memoryInMB are required")
        result[key] = {
            "id": f"{key}-{wanted['cpuCount']}-{wanted['memoryInMB']}",
            "name": key,
            "cpuCount": wanted["cpuCount"],
            "memoryInMB": wanted["memoryInMB"],
        }
    return result


_PROFILES = {
    "image-profiles": ("image_profiles", "Image profile", "imageMapping", "imageMappings"),
    "flavor-profiles": ("flavor_profiles", "Flavor profile", "flavorMapping", "flavorMappings"),
}


def _collection(store: Store, kind: str) -> dict[str, dict[str, Any]]:
    collection: dict[str, dict[str, Any]] = getattr(store.objects, _PROFILES[kind][0])
    return collection


def _mappings(store: Store, kind: str, body: dict[str, Any], region: Any) -> dict[str, Any]:
    wanted = body[_PROFILES[kind][2]]
    if kind == "image-profiles":
        return _image_mappings(store, wanted, region)
    return _flavor_mappings(wanted)


def _list_profiles(kind: str) -> Any:
    def run(store: Store, call: Call) -> tuple[int, Any]:
        return 200, iaas_page(call, list(_collection(store, kind).values()))

    return run


def _create_profile(kind: str) -> Any:
    def run(store: Store, call: Call) -> tuple[int, Any]:
        region = _region(store, call.body["regionId"])
        profile_id = str(uuid.uuid4())
        doc = {
            "id": profile_id,
            "name": call.body["name"],
            "description": call.body.get("description", ""),
            "externalRegionId": region.externalRegionId,
            "cloudAccountId": region.cloudAccountId,
            "orgId": store.seed.orgId,
            "regionId": region.id,  # kept for PATCH; removed from answers below
            _PROFILES[kind][3]: {"mapping": _mappings(store, kind, call.body, region),
                                 "_links": {}},
            "createdAt": now_iso(),
            "updatedAt": now_iso(),
            "_links": links(f"/iaas/api/{kind}/{profile_id}"),
        }
        _collection(store, kind)[profile_id] = doc
        return 201, _public(doc)

    return run


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "regionId"}


def _profile(store: Store, kind: str, profile_id: str) -> dict[str, Any]:
    return stored(_collection(store, kind), _PROFILES[kind][1], profile_id)


def _get_profile(kind: str) -> Any:
    def run(store: Store, call: Call) -> tuple[int, Any]:
        return 200, _public(_profile(store, kind, call.params["id"]))

    return run


def _update_profile(kind: str) -> Any:
    def run(store: Store, call: Call) -> tuple[int, Any]:
        doc = _profile(store, kind, call.params["id"])
        region = _region(store, doc["regionId"])
        mappings = _mappings(store, kind, call.body, region)
        doc[_PROFILES[kind][3]] = {"mapping": mappings, "_links": {}}
        for key in ("name", "description"):
            if key in call.body:
                doc[key] = call.body[key]
        doc["updatedAt"] = now_iso()
        return 200, _public(doc)

    return run


def _delete_profile(kind: str) -> Any:
    def run(store: Store, call: Call) -> tuple[int, Any]:
        _collection(store, kind).pop(call.params["id"], None)
        return 204, None

    return run


for _kind in _PROFILES:
    handler("GET", f"/iaas/api/{_kind}")(_list_profiles(_kind))
    handler("POST", f"/iaas/api/{_kind}")(_create_profile(_kind))
    handler("GET", f"/iaas/api/{_kind}/{{id}}")(_get_profile(_kind))
    handler("PATCH", f"/iaas/api/{_kind}/{{id}}")(_update_profile(_kind))
    handler("DELETE", f"/iaas/api/{_kind}/{{id}}")(_delete_profile(_kind))
