"""The Resource classes under mocks: type tokens and camelCase properties the engine sees."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from providers.vra.base import EndpointArgs
from providers.vra.blueprint import Blueprint
from providers.vra.catalog_item import CatalogItem, CatalogItemProvider
from providers.vra.catalog_service import CatalogService
from providers.vra.entitlement import Entitlement
from providers.vra.software_component import SoftwareComponent, default_install_script
from tests.support.program import EchoMocks, install_echo_mocks


@pytest.fixture
def mocks() -> EchoMocks:
    return install_echo_mocks()


ENDPOINT = EndpointArgs(url="https://vra.example.com", tenant="vsphere.local", insecure=False)


@pulumi.runtime.test
def test_type_tokens_and_camel_case_inputs(mocks: EchoMocks) -> Any:
    software = SoftwareComponent("sw", endpoint=ENDPOINT, name="TF", properties={"image": "tf:gpu"})
    blueprint = Blueprint(
        "bp",
        endpoint=ENDPOINT,
        name="ML",
        template_name="tpl",
        customization_spec="Linux",
        cpu=4,
        memory_mb=16384,
        storage_gb=50,
        max_instances=4,
        pool="p100",
        software_component_id="TF",
        custom_properties={"VMware.Memory.Reservation": "16384"},
    )
    service = CatalogService(
        "svc", endpoint=ENDPOINT, name="Machine Learning", owner="gpu-mlaas/dev"
    )
    item = CatalogItem("item", endpoint=ENDPOINT, blueprint_id="ML", service_id="s-1")
    entitlement = Entitlement(
        "ent",
        endpoint=ENDPOINT,
        name="ML users",
        business_group="ML Group",
        principals=["ml-users@vsphere.local"],
        catalog_item_ids=["i-1"],
    )

    def check(_: Any) -> None:
        prefix = "pulumi-python:dynamic/vra:"
        assert {t.removeprefix(prefix) for t in mocks.seen if t.startswith(prefix)} == {
            "SoftwareComponent",
            "Blueprint",
            "CatalogService",
            "CatalogItem",
            "Entitlement",
        }
        sw = mocks.seen[prefix + "SoftwareComponent"]
        assert sw["installScript"] == default_install_script()
        bp = mocks.seen[prefix + "Blueprint"]
        assert (bp["templateName"], bp["memoryMb"], bp["maxInstances"]) == ("tpl", 16384, 4)
        assert bp["cloneType"] == "FullClone"
        assert mocks.seen[prefix + "CatalogItem"]["timeoutSeconds"] == 120
        assert mocks.seen[prefix + "Entitlement"]["businessGroup"] == "ML Group"
        assert mocks.seen[prefix + "CatalogService"]["owner"] == "gpu-mlaas/dev"
        for props in mocks.seen.values():
            assert not any("password" in key.lower() for key in props)

    return pulumi.Output.all(
        software.urn, blueprint.urn, service.urn, item.urn, entitlement.urn
    ).apply(check)


def test_props_come_from_the_schema_with_outputs_unset() -> None:
    props = CatalogItemProvider.props_from_arguments(
        {"self": object(), "resource_name": "item", "opts": None, "endpoint": ENDPOINT,
         "blueprint_id": "ML", "service_id": "s-1", "timeout_seconds": 120}
    )
    assert props == {
        "endpoint": ENDPOINT,
        "blueprintId": "ML",
        "serviceId": "s-1",
        "timeoutSeconds": 120,
        "catalogItemId": None,
        "name": None,
    }


def test_an_argument_the_schema_does_not_know_is_refused() -> None:
    with pytest.raises(TypeError, match="CatalogItem: argument 'blueprint' is no input"):
        CatalogItemProvider.props_from_arguments({"endpoint": ENDPOINT, "blueprint": "ML"})
