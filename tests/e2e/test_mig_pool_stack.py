"""An A100 MIG pool (grid_a100-3-20c, MIG-backed) as a lab stack through the real engine, on
vSphere 8.0.3 hosts that report each GPU's vgpuMode: with a host whose GPU is not in MIG mode,
`pulumi up` fails naming host, GPU and remedy; without it the pool converges, sized by the GPUs
in MIG mode, and its template's acceptance clone powers on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.e2e.conftest import engine_stack, failed_up, lab_pair

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)
PROFILE = "grid_a100-3-20c"
NOT_MIG = "DC0_C0_H2"


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    mig: dict[str, Any] = {"DC0_C0_H0": "all", "DC0_C0_H1": "all"}
    with lab_pair(tmp_path_factory, "migpool", gpu="a100", mig_gpus=mig,
                  base_firmware="efi") as pair:
        yield pair


def a100_mig_pool(config: dict[str, Any]) -> None:
    pool = config["gpu-mlaas:pools"][0]
    pool.update(name="a100-mig", vgpuProfile=PROFILE)
    for offering in config["gpu-mlaas:offerings"]:
        offering.update(pool="a100-mig", maxInstances=2,
                        description="on a 3g.20gb MIG slice of an A100 (20 GB)")


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab]
) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory, "migpool", labs) as stack:
        stack.edit(a100_mig_pool)
        yield stack


def test_a_gpu_not_in_mig_mode_fails_the_up_naming_it(run: EngineStack) -> None:
    text = failed_up(run)
    assert (f"host {NOT_MIG}: GPU(s) 0000:3b:00.0 (nvidia-smi index 0) are not in MIG mode, "
            f"which the MIG-backed profile {PROFILE} of pool 'a100-mig' needs") in text
    assert "`nvidia-smi -i 0 -mig 1`" in text


def test_the_pool_of_mig_hosts_converges(run: EngineStack) -> None:
    run.edit(lambda config: config["gpu-mlaas:pools"][0]["hosts"].remove(NOT_MIG))
    outputs = run.up().outputs
    assert outputs["slotCapacity"].value["pools"]["a100-mig"]["slotsTotal"] == 4  # 2 x 1 GPU x 2
    hosts = outputs["gpuHosts"].value["a100-mig"]
    assert {h["hostName"]: (h["gpuCount"], h["hostProfile"]) for h in hosts} == {
        "DC0_C0_H0": (1, PROFILE), "DC0_C0_H1": (1, PROFILE)}
    assert outputs["templateNames"].value["a100-mig"]
