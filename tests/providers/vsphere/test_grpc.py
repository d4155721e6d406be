"""Both providers driven through the SDK's own provider host over gRPC, as the engine does."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from providers.vsphere.host_graphics import HostGraphicsProvider
from providers.vsphere.vgpu_template import VgpuTemplateProvider
from tests.providers.vsphere.conftest import Inspector, stack_config
from tests.support.dynamic_host import (
    PROVIDER_KEY,
    UNKNOWN,
    DynamicHost,
    provider_blob,
    urn,
)
from tests.support.managed import Managed

HOST_TYPE = "pulumi-python:dynamic/vsphere:HostGraphics"
TEMPLATE_TYPE = "pulumi-python:dynamic/vsphere:VgpuTemplate"


def host_inputs(host: str, **extra: Any) -> dict[str, Any]:
    return {
        PROVIDER_KEY: provider_blob(HostGraphicsProvider()),
        "hostName": host,
        "pool": "gpu-pool",
        "vgpuProfile": "grid_p100-4q",
        **extra,
    }


def template_inputs(lab: Any, **extra: Any) -> dict[str, Any]:
    return {
        PROVIDER_KEY: provider_blob(VgpuTemplateProvider()),
        "name": "grpc-tf",
        "datacenter": lab.datacenter,
        "cluster": lab.cluster,
        "datastore": lab.datastore,
        "baseImage": lab.base_image,
        "vgpuProfile": "grid_p100-2q",
        "numCpus": 4,
        "coresPerSocket": 2,
        "memoryMb": 8192,
        **extra,
    }


@pytest.fixture
def host(lab: Any) -> Any:
    with DynamicHost(config=stack_config(lab)) as running:
        yield running


def test_host_graphics_life_cycle_over_grpc(
    host: DynamicHost, lab: Any, inspector: Inspector
) -> None:
    name = lab.host_names[0]
    res = urn(HOST_TYPE, "gpu-0")
    inputs, failures = host.check(res, {}, host_inputs(name))
    assert failures == [] and inputs["assignmentPolicy"] == "performance"

    id_, outs = host.create(res, inputs)
    assert id_ == inspector.host(name)._moId
    assert outs["graphicsType"] == "sharedDirect" and outs["gpuCount"] == 1
    assert inspector.graphics(name) == ("sharedDirect", "performance")

    news, _ = host.check(res, inputs, host_inputs(name, assignmentPolicy="consolidation"))
    diff = host.diff(id_, res, outs, news)
    assert diff["changes"] == "DIFF_SOME" and "replaces" not in diff
    outs = host.update(id_, res, outs, news)
    assert outs["assignmentPolicy"] == "consolidation" and outs["hostId"] == id_
    assert inspector.graphics(name) == ("sharedDirect", "consolidation")
    assert host.diff(id_, res, outs, news)["changes"] == "DIFF_NONE"

    read_id, read_outs = host.read(id_, res, outs)
    assert read_id == id_ and read_outs["currentAssignmentPolicy"] == "consolidation"
    host.delete(id_, res, read_outs)
    assert inspector.graphics(name)[0] == "sharedDirect"


def test_check_over_grpc_reports_failures_and_tolerates_unknowns(host: DynamicHost) -> None:
    res = urn(HOST_TYPE, "gpu-x")
    _, failures = host.check(res, {}, host_inputs("", assignmentPolicy="fastest"))
    assert {f["property"] for f in failures} == {"hostName", "assignmentPolicy"}
    inputs, failures = host.check(res, {}, host_inputs(UNKNOWN))
    assert failures == [] and inputs["hostName"] == UNKNOWN


def test_vgpu_template_life_cycle_over_grpc(
    host: DynamicHost, lab: Any, inspector: Inspector
) -> None:
    res = urn(TEMPLATE_TYPE, "tf")
    inputs, failures = host.check(res, {}, template_inputs(lab))
    assert failures == []
    id_, outs = host.create(res, inputs)
    template: Managed = inspector.vm(outs["templateName"])
    assert template._moId == id_ == outs["templateId"]
    assert outs["numCpus"] == 4  # came back as 4.0 over the wire; equal all the same

    assert host.diff(id_, res, outs, inputs)["changes"] == "DIFF_NONE"
    news, _ = host.check(res, inputs, template_inputs(lab, numCpus=8, coresPerSocket=4))
    diff = host.diff(id_, res, outs, news)
    assert diff["changes"] == "DIFF_SOME"
    assert set(diff["replaces"]) == {"numCpus", "coresPerSocket"}
    assert not diff.get("deleteBeforeReplace", False)

    # Update is only reached for equal inputs; it confirms and returns every output.
    updated = host.update(id_, res, outs, inputs)
    assert updated["templateId"] == id_ and updated["uuid"] == outs["uuid"]

    read_id, read_outs = host.read(id_, res, outs)
    assert read_id == id_ and read_outs["vgpuProfile"] == "grid_p100-2q"
    host.delete(id_, res, read_outs)
    assert inspector.find_vm(outs["templateName"]) is None
    gone_id, _ = host.read(id_, res, outs)
    assert gone_id == ""
    host.delete(id_, res, outs)  # already gone: success


def test_one_session_per_provider_process_closed_at_exit(vcsim_factory: Any) -> None:
    lab = vcsim_factory()
    inspector = Inspector(lab)
    try:
        before = inspector.session_keys()
        with DynamicHost(config=stack_config(lab)) as host:

            def create(index: int) -> tuple[str, str, dict[str, Any]]:
                # Three hosts and one template at once, as the engine's parallel steps do.
                if index < len(lab.host_names):
                    res, news = urn(HOST_TYPE, f"gpu-{index}"), host_inputs(lab.host_names[index])
                else:
                    res, news = urn(TEMPLATE_TYPE, "tf"), template_inputs(lab)
                inputs, failures = host.check(res, {}, news)
                assert failures == []
                id_, outs = host.create(res, inputs)
                return res, id_, outs

            with ThreadPoolExecutor(max_workers=4) as pool:
                created = list(pool.map(create, range(len(lab.host_names) + 1)))
            res, id_, outs = created[-1]
            host.delete(id_, res, outs)
            assert len(inspector.session_keys() - before) == 1
        assert host.process is not None and host.process.returncode is not None
        assert inspector.session_keys() == before, host.stderr()
        log = host.stderr()
        assert log.count("logged in to vSphere") == 1 and "logged out of vSphere" in log
        assert lab.password not in log
    finally:
        inspector.close()
