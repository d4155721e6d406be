"""A lab stack through the real engine whose pool has a host without the NVIDIA vGPU Manager:
`pulumi up` fails in seconds (not after the ten-minute profile deadline), naming the host and
the driver. (The driver version in `gpuHosts` is checked on the dev stack, test_automation.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lab.automation import EngineStack, cli_built
from tests.e2e.conftest import engine_stack, failed_up, lab_pair

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)
NO_DRIVER = "DC0_C0_H2"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    drivers = {NO_DRIVER: None}
    with lab_pair(tmp_path_factory, "hostdriver", host_vgpu_manager=drivers) as labs, \
            engine_stack(tmp_path_factory, "hostdriver", labs) as stack:
        yield stack


def test_up_fails_fast_naming_the_host_without_the_driver(run: EngineStack) -> None:
    started = time.monotonic()
    text = failed_up(run)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"took {elapsed:.0f} s"
    assert f"host {NO_DRIVER} of pool 'p100-pool' has no NVIDIA vGPU Manager installed" in text

