"""A stack with a DirectPath I/O (passthrough) pool under mocks: the pool is planned, but until
its host and VM side exists the program declares nothing for it and its offerings, and says so."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tests.support.program import RecordingMocks, as_runtime, dev_config_values, run_program

PASSTHROUGH_POOL = {
    "name": "v100-pool", "cluster": "DC0_C0", "hosts": ["DC0_C0_H3"], "mode": "passthrough",
    "gpusPerHost": 4, "gpusPerVm": 2, "hostCores": 32, "hostSockets": 2, "hostMemoryGb": 512,
}


def test_passthrough_pool_and_its_offerings_are_left_out_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: warnings.append(message))
    values: dict[str, Any] = dev_config_values()
    values["gpu-mlaas:pools"] = [*values["gpu-mlaas:pools"], PASSTHROUGH_POOL]
    values["gpu-mlaas:offerings"] = [
        *values["gpu-mlaas:offerings"],
        {"name": "train-2gpu", "pool": "v100-pool", "maxInstances": 2},
    ]
    mock = RecordingMocks()
    outputs = run_program(mock, as_runtime(values))
    hosts = {r.inputs["hostName"] for r in mock.of_kind("HostGraphics")}
    assert hosts == {"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}  # no vGPU switch on DC0_C0_H3
    assert len(mock.of_kind("VgpuTemplate")) == 1
    assert {r.inputs["name"] for r in mock.of_kind("Blueprint")} == {"tensorflow-gpu",
                                                                     "pytorch-gpu"}
    assert set(outputs["catalogItemIds"]) == {"tensorflow-gpu", "pytorch-gpu"}
    assert set(outputs["slotCapacity"]["pools"]) == {"p100-pool"}
    assert [w for w in warnings if "v100-pool" in w and "train-2gpu" in w], warnings
