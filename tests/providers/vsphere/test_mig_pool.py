"""MIG-backed pools on vSphere 8.0.3 hosts (graphicsInfo[].vgpuMode): they converge when every
GPU is in MIG mode, and say exactly why not (host, GPU, remedy) when one is not; time-sliced
pools refuse GPUs in MIG mode the same way; capacity counts only GPUs in the pool's mode."""

from __future__ import annotations

from typing import Any

import pytest

from providers.vsphere.client import VsphereError
from providers.vsphere.host_graphics import HostGraphicsProvider
from tests.providers.vsphere.conftest import configure
from tests.support.results import outs_of

MIG_PROFILE = "grid_a100-3-20c"  # MIG-backed, 2 per GPU in MIG mode
TIME_SLICED = "grid_a100-20c"


def inputs(host: str, profile: str) -> dict[str, Any]:
    return {"hostName": host, "pool": "a100-mig", "vgpuProfile": profile,
            "assignmentPolicy": "performance", "changeTimeoutSeconds": 5}


@pytest.fixture
def lab(vcsim_factory: Any) -> Any:
    # H0: both GPUs in MIG mode; H1: only GPU 1 (0000:5e:00.0); H2: none.
    return vcsim_factory(hosts=3, gpu="a100", gpus_per_host=2,
                         mig_gpus={"DC0_C0_H0": "all", "DC0_C0_H1": [1]})


def test_mig_pool_converges_on_a_host_whose_gpus_are_in_mig_mode(lab: Any) -> None:
    provider = configure(HostGraphicsProvider(), lab)
    outs = outs_of(provider.create(inputs("DC0_C0_H0", MIG_PROFILE)))
    assert outs["hostProfile"] == MIG_PROFILE
    assert outs["gpuCount"] == 2 and outs["otherModeGpus"] == []
    assert {d["vgpuMode"] for d in outs["gpuDevices"]} == {"multiInstanceGpu"}


def test_a_gpu_not_in_mig_mode_is_named_with_the_remedy(lab: Any) -> None:
    provider = configure(HostGraphicsProvider(), lab)
    with pytest.raises(VsphereError) as failure:
        provider.create(inputs("DC0_C0_H1", MIG_PROFILE))
    message = str(failure.value)
    assert message.startswith(
        "host DC0_C0_H1: GPU(s) 0000:3b:00.0 (nvidia-smi index 0) are not in MIG mode, which the "
        f"MIG-backed profile {MIG_PROFILE} of pool 'a100-mig' needs")
    assert "`nvidia-smi -i 0 -mig 1`" in message and "SR-IOV" in message
    assert "reboot" in message
    assert "5e:00.0" not in message  # GPU 1 is in MIG mode


def test_a_time_sliced_pool_refuses_gpus_in_mig_mode(lab: Any) -> None:
    provider = configure(HostGraphicsProvider(), lab)
    with pytest.raises(VsphereError, match=r"GPU\(s\) 0000:5e:00.0 \(nvidia-smi index 1\) are in "
                                           r"MIG mode.*`nvidia-smi -i 1 -mig 0`"):
        provider.create(inputs("DC0_C0_H1", TIME_SLICED))
    outs = outs_of(provider.create(inputs("DC0_C0_H2", TIME_SLICED)))
    assert outs["gpuCount"] == 2


def test_capacity_counts_only_gpus_in_the_pools_mode(lab: Any) -> None:
    provider = configure(HostGraphicsProvider(), lab)
    created = outs_of(provider.create(inputs("DC0_C0_H0", MIG_PROFILE)))
    # Read as a time-sliced pool would see it: no GPU in its mode.
    read = outs_of(provider.read(created["hostId"], {**created, "vgpuProfile": TIME_SLICED}))
    assert read["gpuCount"] == 0
    assert [g["vgpuMode"] for g in read["otherModeGpus"]] == ["multiInstanceGpu"] * 2
