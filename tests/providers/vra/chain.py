"""The white paper's vRA chain driven straight through the providers (check, then create)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import ResourceProvider

from providers.vra.base import VraProvider
from providers.vra.blueprint import BlueprintProvider
from providers.vra.catalog_item import CatalogItemProvider
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.entitlement import EntitlementProvider
from providers.vra.software_component import SoftwareComponentProvider

TEMPLATE = "ubuntu-gpu-template"
GROUP = "ml-users@vsphere.local"
RESERVATION = {"VMware.Memory.Reservation": "16384"}  # a vGPU VM reserves all of its memory


def owner(resource: str, stack: str = "test") -> str:
    """The owner marker a program in stack `stack` gives its resource `resource`."""
    return f"gpu-mlaas/{stack}/{resource}"
USER = "dataadmin@vsphere.local"


def checked(provider: ResourceProvider, news: dict[str, Any], olds: Any = None) -> dict[str, Any]:
    result = provider.check(olds or {}, news)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def create(provider: ResourceProvider, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = provider.create(checked(provider, news))
    assert result.id
    return result.id, result.outs or {}


def software_inputs(endpoint: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "name": "TF GPU container",
        "properties": {"image": "tensorflow/tensorflow:latest-gpu"},
        "installScript": '#!/bin/bash\ndocker pull "$image"\n',
        "owner": owner("software"),
        **over,
    }


def blueprint_spec(endpoint: dict[str, Any], **over: Any) -> dict[str, Any]:
    """The white paper's TensorFlow GPU blueprint, its required inputs only."""
    return {
        "endpoint": endpoint,
        "name": "ML TensorFlow GPU",
        "templateName": TEMPLATE,
        "customizationSpec": "Linux",
        "cpu": 8,
        "memoryMb": 16384,
        "storageGb": 60,
        "maxInstances": 4,
        **over,
    }


def blueprint_inputs(endpoint: dict[str, Any], software_id: str | None, **over: Any) -> dict:
    values = blueprint_spec(
        endpoint,
        **{"pool": "p100-pool", "customProperties": RESERVATION, "owner": owner("blueprint"),
           **over},
    )
    if software_id:
        values["softwareComponentId"] = software_id
    return values


def service_inputs(endpoint: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "name": "Machine Learning",
        "description": "GPU VMs",
        "owner": owner("service"),
        **over,
    }


def item_inputs(endpoint: dict[str, Any], blueprint_id: str, service_id: str) -> dict:
    return {
        "endpoint": endpoint,
        "blueprintId": blueprint_id,
        "serviceId": service_id,
        "timeoutSeconds": 20,
    }


def entitlement_inputs(endpoint: dict[str, Any], item_ids: list[str], **over: Any) -> dict:
    return {
        "endpoint": endpoint,
        "name": "ML users",
        "businessGroup": "Machine Learning Group",
        "principals": [GROUP, USER],
        "catalogItemIds": item_ids,
        "owner": owner("entitlement"),
        **over,
    }


@dataclass
class Chain:
    """Ids and outputs of one run of the chain, in creation order."""

    endpoint: dict[str, Any]
    created: dict[str, tuple[VraProvider, str, dict[str, Any]]] = field(default_factory=dict)
    stack: str = "test"

    PROVIDERS = {
        "software": SoftwareComponentProvider,
        "blueprint": BlueprintProvider,
        "service": CatalogServiceProvider,
        "item": CatalogItemProvider,
        "entitlement": EntitlementProvider,
    }

    def id(self, name: str) -> str:
        return self.created[name][1]

    def outs(self, name: str) -> dict[str, Any]:
        return self.created[name][2]

    def _step(self, name: str, news: dict[str, Any]) -> None:
        if name in self.created:  # already in "state": the engine would not create it again
            return
        provider = self.PROVIDERS[name]()
        id_, outs = create(provider, news)
        self.created[name] = (provider, id_, outs)

    def up(self) -> Chain:
        """Create whatever is not yet created, in dependency order (like `pulumi up`)."""
        ep = self.endpoint

        def mine(name: str) -> dict[str, str]:
            return {"owner": owner(name, self.stack)}

        self._step("software", software_inputs(ep, **mine("software")))
        self._step("blueprint", blueprint_inputs(ep, self.id("software"), **mine("blueprint")))
        self._step("service", service_inputs(ep, **mine("service")))
        self._step("item", item_inputs(ep, self.id("blueprint"), self.id("service")))
        self._step("entitlement", entitlement_inputs(ep, [self.id("item")], **mine("entitlement")))
        return self

    def down(self) -> None:
        """Delete in reverse order (like `pulumi destroy`); forget each one deleted."""
        for name in reversed(list(self.created)):
            provider, id_, outs = self.created[name]
            provider.delete(id_, outs)
            del self.created[name]


def object_counts(lab: Any) -> dict[str, int]:
    """Live objects per kind; an ended (INACTIVE) entitlement is not one: vRA 7 has no DELETE
    for entitlements, so a destroy leaves it inactive with no items."""
    state = lab.state()
    kinds = ("softwareComponents", "blueprints", "catalogItems", "services")
    counts = {kind: state[kind]["count"] for kind in kinds}
    counts["entitlements"] = len(state["entitlements"]["activeIds"])
    return counts


ONE_OF_EACH = {
    "softwareComponents": 1,
    "blueprints": 1,
    "catalogItems": 1,
    "services": 1,
    "entitlements": 1,
}
NOTHING = dict.fromkeys(ONE_OF_EACH, 0)


def writes(lab: Any) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in lab.requests() if r["method"] != "GET"]
