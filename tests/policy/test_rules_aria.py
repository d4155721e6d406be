"""The policy pack on the Aria backend's resources: pool capacity and TLS."""

from __future__ import annotations

from typing import Any

import pulumi.runtime
import pytest

from policy import rules
from providers.aria.cloud_template import machine_template
from tests.policy.cases import (
    host_props,
    hosts,
    policy_resource,
    resource_args,
    stack,
    violations,
)

ENDPOINT = {"url": "https://aria.example.test", "insecure": False}
# Two hosts, one P100 each, grid_p100-4q: 4 slots per host, 8 in all, 4 vCPUs per VM.


def check_capacity(resource_type: str, props: dict[str, Any]) -> list[str]:
    resources = [*hosts(host_props("esx-01.lab"), host_props("esx-02.lab")),
                 policy_resource(resource_type, props, "tf-gpu")]
    return [m for m, _ in violations(rules.blueprint_within_pool_capacity, stack(*resources))]


def flavor(**changes: Any) -> dict[str, Any]:
    return {"endpoint": ENDPOINT, "name": "tf", "mappingName": "tf", "cpuCount": 4.0,
            "memoryMb": 32768.0, "pool": "p100", **changes}


def template(max_instances: int, **changes: Any) -> dict[str, Any]:
    content = machine_template(image_mapping="tf", flavor_mapping="tf",
                               max_instances=max_instances, customization_spec="linux",
                               container_image=None)
    return {"endpoint": ENDPOINT, "name": "tf", "projectId": "p", "content": content,
            "pool": "p100", **changes}


def test_an_aria_flavor_within_the_pool_passes() -> None:
    assert check_capacity(rules.ARIA_FLAVOR, flavor()) == []


def test_an_aria_flavor_asking_too_many_vcpus_fails() -> None:
    (message,) = check_capacity(rules.ARIA_FLAVOR, flavor(cpuCount=5.0))
    assert message.startswith("Lower cpuCount on Aria flavor profile 'tf-gpu' to at most 4")


def test_an_aria_template_allowing_too_many_machines_fails() -> None:
    assert check_capacity(rules.ARIA_TEMPLATE, template(8)) == []
    (message,) = check_capacity(rules.ARIA_TEMPLATE, template(9))
    assert "count input's maximum on Aria cloud template 'tf-gpu' to at most 8" in message


def test_cpu_only_aria_objects_are_not_sized() -> None:
    props = template(100)
    del props["pool"]
    assert check_capacity(rules.ARIA_TEMPLATE, props) == []


@pytest.fixture(autouse=True)
def clean_tls_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARIA_INSECURE", raising=False)


def check_tls(props: dict[str, Any], stack_name: str = "prod") -> list[str]:
    args = resource_args("pulumi-python:dynamic/aria:SharingPolicy", props, "s", stack_name)
    return [m for m, _ in violations(rules.tls_verification_required, args)]


def test_an_insecure_aria_endpoint_fails_outside_the_labs() -> None:
    (message,) = check_tls({"endpoint": {**ENDPOINT, "insecure": True}})
    assert "endpoint.insecure" in message
    assert check_tls({"endpoint": {**ENDPOINT, "insecure": True}}, "dev-aria") == []
    assert check_tls({"endpoint": ENDPOINT}) == []


def test_aria_resources_follow_the_stack_config_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(pulumi.runtime.config.CONFIG.get(), "gpu-mlaas:aria",
                        '{"project": "ml", "insecure": true}')
    (message,) = check_tls({"endpoint": ENDPOINT})
    assert "gpu-mlaas:aria.insecure" in message
    monkeypatch.setitem(pulumi.runtime.config.CONFIG.get(), "gpu-mlaas:aria", "{}")
    monkeypatch.setenv("ARIA_INSECURE", "yes")
    (message,) = check_tls({"endpoint": ENDPOINT})
    assert "ARIA_INSECURE" in message
