"""The policy pack served by pulumi-policy's analyzer and called over gRPC as the engine does.

The pack is started the way the engine starts a Python pack (`python -u -m pulumi.policy
<engine> .` with the pack folder as cwd) and, once, the way a developer does
(`python policy/__main__.py` from the project root). Both print the analyzer's port.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policy import rules
from tests.policy.cases import blueprint_props, host_props, template_props, urn
from tests.policy.pack import ENGINE_COMMAND, PACK, ROOT, analyze, by_policy, serve, struct

ALL_POLICIES = {policy.name for policy in rules.POLICIES}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    """The pack as the engine runs it, with a stack config that turns vSphere TLS checks off."""
    env = {"PULUMI_CONFIG": json.dumps({"vsphere:allowUnverifiedSsl": "true"})}
    yield from serve(ENGINE_COMMAND, PACK, env)


def test_analyzer_info_lists_every_rule(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "gpu-mlaas-policies"
    policies = {policy.name: policy for policy in info.policies}
    assert set(policies) == ALL_POLICIES
    assert all(policy.description for policy in policies.values())
    assert policies["vgpu-memory-reservation-locked"].enforcementLevel == analyzer_pb2.MANDATORY
    assert policies["passwords-are-secrets"].enforcementLevel == analyzer_pb2.REMEDIATE
    schema = json_format.MessageToDict(policies["tls-verification-required"].configSchema)
    assert schema["properties"]["labStacks"]["default"] == ["dev", "dev-aria"]
    stack_rules = {"gpu-pool-homogeneous", "blueprint-within-pool-capacity"}
    for name in stack_rules:
        assert policies[name].policy_type == analyzer_pb2.POLICY_TYPE_STACK


def test_analyze_reports_an_unlocked_vgpu_template(analyzer: Any) -> None:
    props = template_props(memoryReservationLockedToMax=False)
    found = by_policy(analyze(analyzer, rules.VGPU_TEMPLATE, "tf-template", props))
    diagnostic = found["vgpu-memory-reservation-locked"][0]
    assert "memoryReservationLockedToMax" in diagnostic.message
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    # The stack config in PULUMI_CONFIG reached the pack: vSphere TLS is off on stack prod.
    assert "vsphere:allowUnverifiedSsl" in found["tls-verification-required"][0].message


def test_analyze_skips_unknowns_without_a_preview_warning(analyzer: Any) -> None:
    props = template_props(memoryReservationLockedToMax=UNKNOWN_BOOLEAN_VALUE)
    found = by_policy(analyze(analyzer, rules.VGPU_TEMPLATE, "tf-template", props, stack="dev"))
    assert found == {}


def test_analyze_stack_reports_pool_and_capacity_violations(analyzer: Any) -> None:
    resources = [
        analyzer_pb2.AnalyzerResource(
            type=rules.HOST_GRAPHICS, name=f"host-{i}", urn=urn(rules.HOST_GRAPHICS, f"host-{i}"),
            properties=struct(props),
        )
        for i, props in enumerate(
            [host_props("esx-01.lab"), host_props("esx-02.lab", memoryGb=128.0)]
        )
    ]
    resources.append(
        analyzer_pb2.AnalyzerResource(
            type=rules.BLUEPRINT, name="tf-gpu", urn=urn(rules.BLUEPRINT, "tf-gpu"),
            properties=struct(blueprint_props(maxInstances=12.0)),
        )
    )
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    found = by_policy(response)
    assert set(found) == {"gpu-pool-homogeneous", "blueprint-within-pool-capacity"}
    assert "memory" in found["gpu-pool-homogeneous"][0].message
    capacity = found["blueprint-within-pool-capacity"][0]
    assert "at most 8" in capacity.message and capacity.urn.endswith("::tf-gpu")


def test_configure_sets_lab_stacks_and_levels(analyzer: Any) -> None:
    props = {"endpoint": {"url": "https://vra", "tenant": "t", "insecure": True}}
    kind = "pulumi-python:dynamic/vra:CatalogService"
    assert "tls-verification-required" in by_policy(analyze(analyzer, kind, "svc", props, "ci"))
    config = {
        "tls-verification-required": analyzer_pb2.PolicyConfig(
            enforcementLevel=analyzer_pb2.ADVISORY, properties=struct({"labStacks": ["ci"]})
        )
    }
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=config))
    try:
        assert by_policy(analyze(analyzer, kind, "svc", props, "ci")) == {}
        prod = by_policy(analyze(analyzer, kind, "svc", props, "prod"))
        assert prod["tls-verification-required"][0].enforcementLevel == analyzer_pb2.ADVISORY
    finally:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))


def test_remediate_turns_a_plain_password_into_a_secret(analyzer: Any) -> None:
    kind = rules.VSPHERE_PROVIDER
    request = analyzer_pb2.AnalyzeRequest(
        type=kind, name="vcenter", urn=urn(kind, "vcenter", "dev"),
        properties=struct({"vsphereServer": "vc.example.test", "password": "hunter2"}),
    )
    response = analyzer.Remediate(request)
    [remediation] = response.remediations
    assert remediation.policyName == "passwords-are-secrets"
    fixed = json_format.MessageToDict(remediation.properties)
    assert fixed["password"] == {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "hunter2"}
    assert fixed["vsphereServer"] == "vc.example.test"

    already = {"password": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "hunter2"}}
    request.properties.CopyFrom(struct(already))
    assert list(analyzer.Remediate(request).remediations) == []


def test_pack_entry_point_serves_from_the_project_root() -> None:
    command = [sys.executable, "-u", str(PACK / "__main__.py")]
    for stub in serve(command, ROOT, {}):
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert {policy.name for policy in info.policies} == ALL_POLICIES
