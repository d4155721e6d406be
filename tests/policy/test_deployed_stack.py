"""The pack against what the program really deploys: the dev stack is deployed to both labs
(every dynamic resource through the SDK's provider host), and the resulting inputs and outputs
are sent to the analyzer as the engine would send them.

This is where the property names the rules read meet the names the providers write.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2

from tests.policy.cases import urn
from tests.policy.pack import ENGINE_COMMAND, PACK, by_policy, serve, struct
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine, Record, stack_config

HOST_GRAPHICS = "pulumi-python:dynamic/vsphere:HostGraphics"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Record], str]]:
    """The dev stack's resources after `up` against fresh labs, and its config as JSON."""
    from lab.vcsim import start_vcsim
    from lab.vra import start_vra

    folder = tmp_path_factory.mktemp("policy-labs")
    with start_vcsim(ca_dir=folder) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim
    ) as vra:
        config, secret_keys = stack_config(vcsim, vra)
        with DynamicHost(config=config) as host:
            engine = LabEngine(host=host)
            engine.up(config, secret_keys)
            try:
                yield list(engine.state.values()), json.dumps(config)
            finally:
                engine.destroy()


@pytest.fixture(scope="module")
def analyzer(deployed: tuple[list[Record], str]) -> Iterator[Any]:
    _, config = deployed
    yield from serve(ENGINE_COMMAND, PACK, {"PULUMI_CONFIG": config})


def resource(record: Record, props: dict[str, Any], stack: str) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type=record.type,
        name=record.name,
        urn=urn(record.type, record.name, stack),
        properties=struct(props),
    )


def analyze_stack(stub: Any, records: list[Record], stack: str = "dev") -> dict[str, list[Any]]:
    resources = [resource(record, record.outputs, stack) for record in records]
    return by_policy(stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_deployed_resource_passes(
    deployed: tuple[list[Record], str], analyzer: Any, stack: str
) -> None:
    # The dev config verifies TLS through the labs' CA bundles, so it passes outside the lab too.
    records, _ = deployed
    assert {record.type.rsplit(":", 1)[-1] for record in records} >= {
        "HostGraphics", "VgpuTemplate", "Blueprint", "SoftwareComponent", "Entitlement"
    }
    for record in records:
        request = analyzer_pb2.AnalyzeRequest(
            type=record.type, name=record.name, urn=urn(record.type, record.name, stack),
            properties=struct(record.inputs),
        )
        assert by_policy(analyzer.Analyze(request)) == {}, record.name
        assert list(analyzer.Remediate(request).remediations) == [], record.name
    assert analyze_stack(analyzer, records, stack) == {}


def test_stack_rules_read_the_real_host_outputs(
    deployed: tuple[list[Record], str], analyzer: Any
) -> None:
    # Halve the cores of one lab host: the pool is no longer homogeneous, and sized by its
    # smallest host it offers 8 cores / 4 slots = 2 vCPUs per VM, fewer than the blueprints' 4.
    records = copy.deepcopy(deployed[0])
    host = next(record for record in records if record.type == HOST_GRAPHICS)
    host.outputs["physicalCores"] = host.outputs["physicalCores"] / 2
    found = analyze_stack(analyzer, records)
    assert set(found) == {"gpu-pool-homogeneous", "blueprint-within-pool-capacity"}
    assert "physical cores" in found["gpu-pool-homogeneous"][0].message
    messages = [d.message for d in found["blueprint-within-pool-capacity"]]
    assert len(messages) == 2 and all("at most 2" in message for message in messages)
