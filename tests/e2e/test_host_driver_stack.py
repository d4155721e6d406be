"""A lab stack through the real engine whose pool has a host without the NVIDIA vGPU Manager:
`pulumi up` fails in seconds (not after the ten-minute profile deadline), naming the host and
the driver. (The driver version in `gpuHosts` is checked on the dev stack, test_automation.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing

import pytest
from pulumi import automation as auto

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vra import VraLab

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)
NO_DRIVER = "DC0_C0_H2"


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    from lab.vcsim import start_vcsim
    from lab.vra import start_vra

    folder = tmp_path_factory.mktemp("host-driver")
    with start_vcsim(ca_dir=folder, host_vgpu_manager={NO_DRIVER: None}) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim
    ) as vra:
        yield vcsim, vra


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab]
) -> Iterator[EngineStack]:
    state = tmp_path_factory.mktemp("host-driver-state")
    with closing(EngineStack("hostdriver", *labs, state)) as stack:
        yield stack


def test_up_fails_fast_naming_the_host_without_the_driver(run: EngineStack) -> None:
    started = time.monotonic()
    with pytest.raises(auto.CommandError) as failure:
        run.up()
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"took {elapsed:.0f} s"
    text = str(failure.value)
    assert f"host {NO_DRIVER} of pool 'p100-pool' has no NVIDIA vGPU Manager installed" in text

