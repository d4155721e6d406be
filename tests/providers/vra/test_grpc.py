"""The vRA providers driven over gRPC through the SDK's own provider host, as the engine does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from providers.vra.blueprint import BlueprintProvider
from providers.vra.catalog_item import CatalogItemProvider
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.entitlement import EntitlementProvider
from providers.vra.settings import CONFIG_KEY
from providers.vra.software_component import SoftwareComponentProvider
from tests.providers.vra.chain import (
    NOTHING,
    ONE_OF_EACH,
    blueprint_inputs,
    entitlement_inputs,
    item_inputs,
    object_counts,
    service_inputs,
    software_inputs,
)
from tests.support.dynamic_host import UNKNOWN, DynamicHost, provider_blob, urn

TOKENS = "/identity/api/tokens"


@pytest.fixture
def host(creds: Any) -> Iterator[DynamicHost]:
    """A provider host whose credentials come only from stack config (env vars blanked)."""
    config = {
        CONFIG_KEY: json.dumps(
            {
                "url": creds.url,
                "tenant": creds.tenant,
                "username": creds.username,
                "password": creds.password,
                "caBundle": str(creds.ca_file),
            }
        )
    }
    blank = {"VRA_USERNAME": "", "VRA_PASSWORD": "", "VRA_CA_BUNDLE": ""}
    with DynamicHost(config=config, env=blank) as running:
        yield running


def _with_blob(provider: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "__provider": provider_blob(provider)}


def _create(host: DynamicHost, provider: Any, name: str, news: dict) -> tuple[str, dict, str]:
    token = urn(
        f"pulumi-python:dynamic/vra:{type(provider).__name__.removesuffix('Provider')}", name
    )
    inputs, failures = host.check(token, {}, _with_blob(provider, news))
    assert failures == []
    id_, outs = host.create(token, inputs)
    return id_, outs, token


def test_software_component_over_grpc(
    endpoint: dict[str, Any], host: DynamicHost, creds: Any
) -> None:
    provider = SoftwareComponentProvider()
    id_, outs, token = _create(host, provider, "tf-software", software_inputs(endpoint))
    assert id_ == outs["softwareComponentId"]
    assert outs["publishStatus"] == "PUBLISHED"
    assert "__provider" in outs

    same, _ = host.check(token, outs, _with_blob(provider, software_inputs(endpoint)))
    assert host.diff(id_, token, outs, same).get("changes") == "DIFF_NONE"

    changed, _ = host.check(
        token, outs, _with_blob(provider, software_inputs(endpoint, description="v2"))
    )
    diff = host.diff(id_, token, outs, changed)
    assert diff["changes"] == "DIFF_SOME" and not diff.get("replaces")
    updated = host.update(id_, token, outs, changed)
    assert updated["description"] == "v2" and updated["publishStatus"] == "PUBLISHED"

    read_id, read = host.read(id_, token, updated)
    assert read_id == id_ and read["description"] == "v2"

    host.delete(id_, token, updated)
    assert creds.state()["softwareComponents"]["count"] == 0
    gone_id, _ = host.read(id_, token, updated)
    assert gone_id == ""
    host.delete(id_, token, updated)  # already gone: success


def test_whole_chain_over_grpc_one_login_then_logout(endpoint: dict[str, Any], creds: Any) -> None:
    config = {
        CONFIG_KEY: json.dumps(
            {"username": creds.username, "password": creds.password, "caBundle": str(creds.ca_file)}
        )
    }
    with DynamicHost(config=config) as host:
        sw_id, sw, sw_urn = _create(
            host, SoftwareComponentProvider(), "sw", software_inputs(endpoint)
        )
        bp_id, bp, bp_urn = _create(
            host, BlueprintProvider(), "bp", blueprint_inputs(endpoint, sw_id)
        )
        assert bp["cpu"] == 8  # numbers cross the wire as floats and compare equal
        svc_id, svc, svc_urn = _create(
            host, CatalogServiceProvider(), "svc", service_inputs(endpoint, owner="gpu-mlaas/dev")
        )
        assert (svc["owner"], svc["adopted"]) == ("gpu-mlaas/dev", False)
        item_id, item, item_urn = _create(
            host, CatalogItemProvider(), "item", item_inputs(endpoint, bp_id, svc_id)
        )
        ent_id, ent, ent_urn = _create(
            host, EntitlementProvider(), "ent", entitlement_inputs(endpoint, [item_id])
        )
        assert object_counts(creds) == ONE_OF_EACH

        # A second run of the same program: no changes, so the engine calls nothing else.
        again, _ = host.check(
            bp_urn, bp, _with_blob(BlueprintProvider(), blueprint_inputs(endpoint, sw_id))
        )
        assert host.diff(bp_id, bp_urn, bp, again).get("changes") == "DIFF_NONE"

        for id_, outs, token in (
            (ent_id, ent, ent_urn),
            (item_id, item, item_urn),
            (svc_id, svc, svc_urn),
            (bp_id, bp, bp_urn),
            (sw_id, sw, sw_urn),
        ):
            host.delete(id_, token, outs)
        assert object_counts(creds) == NOTHING
    log = [(r["method"], r["path"]) for r in creds.requests()]
    assert log.count(("POST", TOKENS)) == 1
    assert log[-1][0] == "DELETE" and log[-1][1].startswith(TOKENS + "/")  # revoked at exit


def test_preview_and_bad_input_over_grpc(endpoint: dict[str, Any], host: DynamicHost) -> None:
    provider = BlueprintProvider()
    token = urn("pulumi-python:dynamic/vra:Blueprint", "bp")
    preview = _with_blob(provider, blueprint_inputs(endpoint, UNKNOWN))
    inputs, failures = host.check(token, {}, preview)
    assert failures == []
    assert inputs["softwareComponentId"] == UNKNOWN
    olds = {**inputs, "softwareComponentId": "TFGPUcontainer", "publishStatus": "PUBLISHED"}
    diff = host.diff("MLTensorFlowGPU", token, olds, inputs)
    assert diff["changes"] == "DIFF_SOME" and not diff.get("replaces")
    unknown_name = _with_blob(provider, blueprint_inputs(endpoint, None, name=UNKNOWN))
    inputs, failures = host.check(token, {}, unknown_name)
    assert failures == [] and "blueprintId" not in inputs
    bad = _with_blob(provider, blueprint_inputs(endpoint, None, cpu=0, cloneType="Instant"))
    _, failures = host.check(token, {}, bad)
    assert {f["property"] for f in failures} == {"cpu", "cloneType"}
