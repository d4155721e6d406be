"""The guest-driver rule at deployment, where the hosts' own vGPU Manager version (read from
vSphere) takes over from the config: a template whose guest driver is of a branch the hosts do
not support stops the deploy before any template is cloned, naming both versions; a matching
one deploys."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import vm_names
from lab.vra import VraLab, start_vra
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine, stack_config

HOST_DRIVER = "550.127.06"  # what every host of the lab runs here


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    folder = tmp_path_factory.mktemp("driver-branch")
    with start_vcsim(ca_dir=folder, vgpu_manager=HOST_DRIVER) as vcsim, \
            start_vra(ca_file=folder / "vra.pem", vcenter=vcsim) as vra:
        yield vcsim, vra


def _with_guest(config: dict[str, str], version: str) -> dict[str, str]:
    template = json.loads(config["gpu-mlaas:template"]) | {"guestDriverVersion": version}
    return {**config, "gpu-mlaas:template": json.dumps(template)}


def test_a_guest_driver_the_hosts_cannot_load_stops_the_deploy(
    labs: tuple[VcsimLab, VraLab],
) -> None:
    vcsim, vra = labs
    base, secret_keys = stack_config(vcsim, vra, offerings=1)
    config = _with_guest(base, "470.82.01")  # R470: two branches behind R550
    before = vm_names(vcsim)
    with DynamicHost(config=config) as host:
        engine = LabEngine(host=host)
        with pytest.raises(Exception) as raised:
            engine.up(config, secret_keys)
        engine.destroy()
    text = str(raised.value)
    assert "470.82.01" in text and HOST_DRIVER in text and "p100-pool" in text
    assert vm_names(vcsim) == before  # no template was cloned


def test_a_guest_driver_of_the_previous_branch_deploys(labs: tuple[VcsimLab, VraLab]) -> None:
    vcsim, vra = labs
    base, secret_keys = stack_config(vcsim, vra, offerings=1)
    config = _with_guest(base, "535.183.01")  # R535, the branch before R550 (vGPU 17)
    with DynamicHost(config=config) as host:
        engine = LabEngine(host=host)
        outputs = engine.up(config, secret_keys)
        engine.destroy()
    assert set(outputs["catalogItemIds"]) == {"tensorflow-gpu"}
