"""All Aria lab state, in memory, behind one lock: the seed, the organization's objects, tokens,
and (from lab/traffic.py) faults and the request log."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lab.aria.seed import Seed
from lab.traffic import LabStore
from lab.vra.collector import VcenterCollector


@dataclass
class Token:
    username: str
    expires_at: float  # epoch seconds


@dataclass
class Objects:
    """The organization's objects, keyed by id, in creation order."""

    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    image_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    flavor_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    # blueprint id -> version -> version document
    versions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    # catalog item id -> time.monotonic() from which it is listed (the import runs after the POST)
    item_visible_at: dict[str, float] = field(default_factory=dict)
    item_blueprint: dict[str, str] = field(default_factory=dict)  # catalog item id -> blueprint
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    fabric_images: list[str] = field(default_factory=list)


class Store(LabStore[Seed, Token]):
    def __init__(self, seed: Seed, collector: VcenterCollector | None = None) -> None:
        super().__init__(seed)
        self.collector = collector  # templates data-collected from a vCenter, if given
        self.objects = Objects()
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> username
        self.reset()

    def reset_objects(self) -> None:
        self.objects = Objects(fabric_images=list(self.seed.fabricImages))
        for project in self.seed.projects:
            self.objects.projects[project.id] = project_doc(
                project.id, project.name, project.description, self.seed.orgId
            )
        self.refresh_tokens.clear()

    def known_fabric_images(self) -> set[str]:
        """Seeded fabric images plus the vCenter's templates (Aria data-collects them)."""
        names = set(self.objects.fabric_images)
        if self.collector is not None:
            names.update(self.collector.templates())
        return names

    def remove_items(self, which: Callable[[str], bool]) -> None:
        """Drop the catalog items whose id `which` accepts."""
        with self.lock:
            for item_id in [i for i in self.objects.items if which(i)]:
                del self.objects.items[item_id]
                self.objects.item_visible_at.pop(item_id, None)
                self.objects.item_blueprint.pop(item_id, None)

    # -- tokens -----------------------------------------------------------------------------

    def issue_refresh_token(self, username: str) -> str:
        with self.lock:
            token = secrets.token_urlsafe(32)
            self.refresh_tokens[token] = username
            return token

    def issue_token(self, refresh_token: str) -> str | None:
        with self.lock:
            username = self.refresh_tokens.get(refresh_token)
            if username is None:
                return None
            token = secrets.token_urlsafe(48)
            self.tokens[token] = Token(username, time.time() + self.seed.tokenLifetimeSeconds)
            return token

    # -- inspection -------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Object counts and ids (ids of seeded projects included) for tests and operators."""
        with self.lock:
            now = time.monotonic()
            kinds = {
                "projects": self.objects.projects,
                "imageProfiles": self.objects.image_profiles,
                "flavorProfiles": self.objects.flavor_profiles,
                "blueprints": self.objects.blueprints,
                "sources": self.objects.sources,
                "catalogItems": self.objects.items,
                "policies": self.objects.policies,
            }
            state: dict[str, Any] = {
                kind: {"count": len(items), "ids": list(items)} for kind, items in kinds.items()
            }
            state["versions"] = {
                "count": sum(len(v) for v in self.objects.versions.values()),
                "released": sum(
                    1
                    for versions in self.objects.versions.values()
                    for doc in versions.values()
                    if doc["status"] == "RELEASED"
                ),
            }
            state["catalogItems"]["pendingIds"] = [
                item_id for item_id, at in self.objects.item_visible_at.items() if at > now
            ]
            state["fabricImages"] = list(self.objects.fabric_images)
            state["tokens"] = {"count": len(self.tokens)}
            state["faults"] = {"count": len(self.faults)}
            state["requests"] = {"count": len(self.log)}
            return state


def links(self_path: str) -> dict[str, Any]:
    return {"self": {"href": self_path}}


def project_doc(project_id: str, name: str, description: str, org_id: str) -> dict[str, Any]:
    return {
        "id": project_id,
        "name": name,
        "description": description,
        "orgId": org_id,
        "administrators": [],
        "members": [],
        "viewers": [],
        "zones": [],
        "sharedResources": True,
        "operationTimeout": 0,
        "_links": links(f"/iaas/api/projects/{project_id}"),
    }
