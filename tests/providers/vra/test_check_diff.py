"""check and diff: validation, defaults, derived ids, unknowns; no vRA involved at all."""

from __future__ import annotations

from typing import Any

import pytest

from providers.vra.base import UNKNOWN
from providers.vra.blueprint import BlueprintProvider
from providers.vra.catalog_item import CatalogItemProvider
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.entitlement import EntitlementProvider
from providers.vra.software_component import SoftwareComponentProvider
from tests.providers.vra.chain import blueprint_spec

# Port 9 (discard) on loopback: any accidental HTTP call from check/diff fails loudly.
ENDPOINT = {"url": "https://127.0.0.1:9", "tenant": "vsphere.local"}

BLUEPRINT = blueprint_spec(ENDPOINT)


def _failures(result: Any) -> dict[str, str]:
    return {f.property: f.reason for f in result.failures}


def test_check_fills_defaults_and_derives_the_id() -> None:
    result = BlueprintProvider().check({}, {**BLUEPRINT, "__provider": "blob"})
    assert result.failures == []
    assert result.inputs["blueprintId"] == "MLTensorFlowGPU"
    assert result.inputs["cloneType"] == "FullClone"
    assert result.inputs["customProperties"] == {}
    assert result.inputs["endpoint"]["insecure"] is False
    assert "__provider" not in result.inputs


def test_check_keeps_the_stored_id_on_rename() -> None:
    olds = BlueprintProvider().check({}, BLUEPRINT).inputs
    renamed = BlueprintProvider().check(olds, {**BLUEPRINT, "name": "ML TF GPU (new)"})
    assert renamed.inputs["blueprintId"] == "MLTensorFlowGPU"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"cpu": 0}, "cpu"),
        ({"cloneType": "Instant"}, "cloneType"),
        ({"templateName": ""}, "templateName"),
        ({"endpoint": {"url": "ftp://x", "tenant": "t"}}, "endpoint"),
        ({"blueprintId": "9 bad id"}, "blueprintId"),
        ({"cpus": 4}, "cpus"),
    ],
)
def test_check_names_the_bad_key(change: dict[str, Any], key: str) -> None:
    failures = _failures(BlueprintProvider().check({}, {**BLUEPRINT, **change}))
    assert key in failures
    assert failures[key].startswith("Blueprint: ")


def test_check_reports_a_missing_required_key() -> None:
    news = {k: v for k, v in BLUEPRINT.items() if k != "templateName"}
    assert "templateName" in _failures(BlueprintProvider().check({}, news))


def test_check_tolerates_unknowns_during_preview() -> None:
    news = {**BLUEPRINT, "softwareComponentId": UNKNOWN, "name": UNKNOWN}
    result = BlueprintProvider().check({}, news)
    assert result.failures == []
    assert result.inputs["softwareComponentId"] == UNKNOWN
    assert "blueprintId" not in result.inputs  # cannot be derived from an unknown name yet
    item = CatalogItemProvider().check(
        {}, {"endpoint": ENDPOINT, "blueprintId": UNKNOWN, "serviceId": UNKNOWN}
    )
    assert item.failures == []
    entitlement = EntitlementProvider().check(
        {},
        {
            "endpoint": ENDPOINT,
            "name": "ML users",
            "businessGroup": "Machine Learning Group",
            "principals": ["ml-users@vsphere.local"],
            "catalogItemIds": [UNKNOWN],
        },
    )
    assert entitlement.failures == []


def test_check_still_reports_known_bad_values_next_to_unknowns() -> None:
    result = BlueprintProvider().check({}, {**BLUEPRINT, "name": UNKNOWN, "cpu": -1})
    assert set(_failures(result)) == {"cpu"}


def test_entitlement_principals_are_validated_and_sorted() -> None:
    base = {
        "endpoint": ENDPOINT,
        "name": "ML users",
        "businessGroup": "Machine Learning Group",
        "catalogItemIds": ["b", "a", "a"],
    }
    ok = EntitlementProvider().check(
        {}, {**base, "principals": ["z@vsphere.local", "a@vsphere.local"]}
    )
    assert ok.inputs["principals"] == ["a@vsphere.local", "z@vsphere.local"]
    assert ok.inputs["catalogItemIds"] == ["a", "b"]
    bad = EntitlementProvider().check({}, {**base, "principals": ["DOMAIN\\user"]})
    assert "principals" in _failures(bad)


def test_software_component_property_names_must_be_env_names() -> None:
    news = {
        "endpoint": ENDPOINT,
        "name": "TF",
        "installScript": "echo",
        "properties": {"bad-name": "x"},
    }
    assert "properties" in _failures(SoftwareComponentProvider().check({}, news))


def _state(provider: Any, news: dict[str, Any]) -> dict[str, Any]:
    return {**provider.check({}, news).inputs, "__provider": "old-blob", "publishStatus": "X"}


def test_diff_ignores_provider_blob_and_outputs() -> None:
    provider = BlueprintProvider()
    olds = _state(provider, BLUEPRINT)
    news = {**provider.check(olds, BLUEPRINT).inputs, "__provider": "new-blob"}
    result = provider.diff("MLTensorFlowGPU", olds, news)
    assert result.changes is False
    assert result.replaces == []


def test_diff_updates_in_place_and_replaces_on_identity() -> None:
    provider = BlueprintProvider()
    olds = _state(provider, BLUEPRINT)
    cpu = provider.diff("x", olds, provider.check(olds, {**BLUEPRINT, "cpu": 4}).inputs)
    assert (cpu.changes, cpu.replaces) == (True, [])
    new_id = provider.check(olds, {**BLUEPRINT, "blueprintId": "Other"}).inputs
    assert provider.diff("x", olds, new_id).replaces == ["blueprintId"]
    moved = {**BLUEPRINT, "endpoint": {**ENDPOINT, "url": "https://127.0.0.2:9"}}
    assert provider.diff("x", olds, provider.check(olds, moved).inputs).replaces == ["endpoint"]
    trust = {**BLUEPRINT, "endpoint": {**ENDPOINT, "insecure": True}}
    flipped = provider.diff("x", olds, provider.check(olds, trust).inputs)
    assert (flipped.changes, flipped.replaces) == (True, [])


def test_diff_treats_unknown_as_change_and_unknown_identity_as_replace() -> None:
    provider = CatalogItemProvider()
    news = {"endpoint": ENDPOINT, "blueprintId": "B", "serviceId": "S"}
    olds = _state(provider, news)
    result = provider.diff("i", olds, {**olds, "serviceId": UNKNOWN})
    assert (result.changes, result.replaces) == (True, [])
    result = provider.diff("i", olds, {**olds, "blueprintId": UNKNOWN})
    assert result.replaces == ["blueprintId"]


def test_catalog_service_only_replaces_when_the_vra_moves() -> None:
    provider = CatalogServiceProvider()
    news = {"endpoint": ENDPOINT, "name": "Machine Learning"}
    olds = _state(provider, news)
    renamed = provider.diff("s", olds, provider.check(olds, {**news, "name": "ML"}).inputs)
    assert (renamed.changes, renamed.replaces) == (True, [])
    owner = provider.check(olds, {**news, "owner": "gpu-mlaas/dev"}).inputs
    owned = provider.diff("s", olds, owner)
    assert (owned.changes, owned.replaces) == (True, [])  # the marker is written in place


@pytest.mark.parametrize("owner", ["", "gpu mlaas/dev", "a/b/c d]", "x]", "a" * 101])
def test_catalog_service_owner_must_be_project_stack_and_name(owner: str) -> None:
    news = {"endpoint": ENDPOINT, "name": "Machine Learning", "owner": owner}
    failures = _failures(CatalogServiceProvider().check({}, news))
    assert failures["owner"].startswith("CatalogService: ")
