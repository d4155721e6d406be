"""vCenter faults through the SDK provider host, with the whole program run by the lab engine.

The module's vCenter lab offers every P100 profile but grid_p100-4q, the dev stack's choice, so
the dev stack meets hosts that lack its profile; the other cases run the stack on grid_p100-8q.
One vCenter lab, one vRA lab and one provider host serve the module; each case starts from an
empty engine and the vRA seed, and ends with `destroy` and the vCenter VM list it started with.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import connect, open_sessions, vm_names
from lab.vra import VraLab, start_vra
from mlaas.profiles import gpu_type
from tests.support.dynamic_host import DynamicHost, ProviderCallError
from tests.support.dynamic_host import urn as resource_urn
from tests.support.engine import LabEngine, stack_config

MISSING_PROFILE = "grid_p100-4q"  # the dev stack's profile
WORKING_PROFILE = "grid_p100-8q"
OFFERED = tuple(p.name for p in gpu_type("p100").profiles if p.name != MISSING_PROFILE)
HOST_GRAPHICS = "pulumi-python:dynamic/vsphere:HostGraphics"
TEMPLATE = "pulumi-python:dynamic/vsphere:VgpuTemplate"
RELOGIN_LINE = "has expired; logging in again"  # providers/vsphere/client.py, on re-login


@dataclass
class Labs:
    vcsim: VcsimLab
    vra: VraLab
    host: DynamicHost
    config: dict[str, str]  # the dev stack on WORKING_PROFILE
    secret_keys: list[str]
    dev_config: dict[str, str]  # the dev stack as committed (MISSING_PROFILE)
    vms: set[str]  # vCenter VM names before any deploy

    def relogins(self) -> int:
        """How often the provider host has logged in again after losing its session."""
        return self.host.stderr().count(RELOGIN_LINE)

    def deployed(self, engine: LabEngine) -> None:
        """Every resource of the stack is in the engine's state and a further run is all same."""
        kinds = [key.split("::")[0].rsplit(":", 1)[-1] for key in engine.state]
        assert sorted(set(kinds)) == ["Blueprint", "CatalogItem", "CatalogService",
                                      "CustomizationSpec", "Entitlement", "HostGraphics",
                                      "SoftwareComponent", "VgpuTemplate"]
        engine.up(self.config, self.secret_keys)
        assert {op for op, _ in engine.operations} == {"same"}

    def destroyed(self, engine: LabEngine) -> None:
        engine.destroy()
        assert vm_names(self.vcsim) == self.vms


def with_key(config: dict[str, str], key: str, change: Callable[[Any], None]) -> dict[str, str]:
    """A copy of `config` with the JSON value at `key` changed in place by `change`."""
    value = json.loads(config[key])
    change(value)
    return {**config, key: json.dumps(value)}


def set_profile(pools: list[dict[str, Any]]) -> None:
    pools[0]["vgpuProfile"] = WORKING_PROFILE


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Labs]:
    folder = tmp_path_factory.mktemp("fault-matrix-vcenter")
    with start_vcsim(ca_dir=folder, profiles=OFFERED) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim
    ) as vra:
        dev_config, secret_keys = stack_config(vcsim, vra)
        config = with_key(dev_config, "gpu-mlaas:pools", set_profile)
        with DynamicHost(config=config) as host:
            yield Labs(vcsim, vra, host, config, secret_keys, dev_config, vm_names(vcsim))


@pytest.fixture
def engine(labs: Labs) -> LabEngine:
    labs.vra.restore_seed()
    labs.vra.set_seed(catalogItemDelaySeconds=0.02)
    return LabEngine(host=labs.host)


def last_line(error: ProviderCallError) -> str:
    """The provider's own message: the last line of what the provider host reported."""
    return error.details.strip().splitlines()[-1]


def terminate_other_sessions(vcsim: VcsimLab) -> list[str]:
    """As admin, end every vCenter session but this one (the provider host's among them)."""
    keys = [session.key for session in open_sessions(vcsim)]
    with connect(vcsim) as si:
        assert si.content.sessionManager is not None
        si.content.sessionManager.TerminateSession(keys)
    return keys


def objects(si: Any, *types: type) -> list[Any]:
    """Every inventory object of these types (as admin, for checks from the outside)."""
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, list(types), True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


# -- sessions ----------------------------------------------------------------------------------


def test_session_ended_between_resources_run_logs_in_again(
    labs: Labs, engine: LabEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session dies after the first host is configured; the others and the template are
    made through one new login."""
    create = labs.host.create
    ended: list[str] = []
    lock = threading.Lock()

    def create_then_end_session(urn: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = create(urn, props)
        with lock:
            if HOST_GRAPHICS in urn and not ended:
                ended.extend(terminate_other_sessions(labs.vcsim))
        return result

    monkeypatch.setattr(labs.host, "create", create_then_end_session)
    before = labs.relogins()
    engine.up(labs.config, labs.secret_keys)
    assert ended, "no session was ended"
    assert labs.relogins() == before + 1  # one new session shared by the calls that followed
    monkeypatch.undo()
    labs.deployed(engine)
    labs.destroyed(engine)


def test_session_ended_between_runs_destroy_logs_in_again(
    labs: Labs, engine: LabEngine
) -> None:
    engine.up(labs.config, labs.secret_keys)
    before = labs.relogins()
    assert terminate_other_sessions(labs.vcsim)
    labs.destroyed(engine)  # destroy needs vCenter: template and hosts
    assert labs.relogins() == before + 1


# -- hosts that lack the profile -------------------------------------------------------------


def test_host_without_the_profile_is_named_then_the_fixed_stack_converges(
    labs: Labs, engine: LabEngine
) -> None:
    with pytest.raises(ProviderCallError) as failure:
        engine.up(labs.dev_config, labs.secret_keys)
    message = last_line(failure.value)
    assert failure.value.method == "Create"
    expected = (rf"the NVIDIA host driver on DC0_C0_H\d does not offer {MISSING_PROFILE} "
                rf"\(offered: {', '.join(OFFERED)}\)")
    assert re.fullmatch(rf"[\w.]*VsphereError: {expected}", message), message
    assert not any(TEMPLATE in key for key in engine.state)  # nothing cloned for a bad pool
    assert vm_names(labs.vcsim) == labs.vms

    engine.up(labs.config, labs.secret_keys)  # the stack fixed to a profile the hosts offer
    labs.deployed(engine)
    labs.destroyed(engine)


# -- template clones that fail ---------------------------------------------------------------


def test_missing_datastore_is_named_then_the_fixed_stack_converges(
    labs: Labs, engine: LabEngine
) -> None:
    def move(template: dict[str, Any]) -> None:
        template["datastore"] = "LocalDS_9"

    with pytest.raises(ProviderCallError) as failure:
        engine.up(with_key(labs.config, "gpu-mlaas:template", move), labs.secret_keys)
    assert failure.value.method == "Create"
    assert last_line(failure.value).endswith(
        "VsphereError: datastore 'LocalDS_9' not found in datacenter 'DC0'"
    )
    assert vm_names(labs.vcsim) == labs.vms

    engine.up(labs.config, labs.secret_keys)  # the stack fixed
    labs.deployed(engine)
    labs.destroyed(engine)


def test_template_that_fails_after_the_clone_leaves_no_vm(
    labs: Labs, engine: LabEngine
) -> None:
    """Clone and reconfigure succeed, then the template does not read back as asked (vCenter
    applies a `SET.` extraConfig key instead of storing it): the half-made VM is removed."""
    engine.up(labs.config, labs.secret_keys)
    record = next(r for k, r in engine.state.items() if TEMPLATE in k)
    props = {**record.inputs, "extraConfig": {"SET.guest.hostName": "half-made"}}
    urn = resource_urn(TEMPLATE, "half-made")
    removals = labs.host.stderr().count("removing half-made VM")
    inputs, failures = labs.host.check(urn, {}, props)
    assert failures == []
    with pytest.raises(ProviderCallError) as failure:
        labs.host.create(urn, inputs)
    assert re.search(r"VsphereError: template mlaas-vgpu-dev-p100-pool-\w+ does not read back as "
                     r"built \(extraConfig differ\)$", last_line(failure.value))
    assert labs.host.stderr().count("removing half-made VM") == removals + 1
    assert vm_names(labs.vcsim) == labs.vms | {record.outputs["templateName"]}

    # Fixed (a key vCenter stores), the same resource is created and then deleted cleanly.
    fixed, _ = labs.host.check(urn, {}, {**props, "extraConfig": {"guestinfo.build": "ok"}})
    template_id, outs = labs.host.create(urn, fixed)
    assert vm_names(labs.vcsim) == labs.vms | {record.outputs["templateName"], outs["templateName"]}
    labs.host.delete(template_id, urn, outs)
    labs.destroyed(engine)


def test_clone_left_half_made_by_an_interrupted_run_is_rebuilt_not_duplicated(
    labs: Labs, engine: LabEngine
) -> None:
    """A run died after the clone, before the vGPU: the VM under the template's name is a
    plain powered-off VM carrying the template's owner marker (written with the clone). The
    next run rebuilds it; no second VM, nothing left afterwards. Without the marker it is
    not this stack's, and the run refuses to touch it."""
    engine.up(labs.config, labs.secret_keys)
    name = next(r.outputs["templateName"] for k, r in engine.state.items() if TEMPLATE in k)
    labs.destroyed(engine)

    def half_made(annotation: str) -> Any:
        with connect(labs.vcsim) as si:
            found = objects(si, vim.VirtualMachine, vim.ResourcePool)
            base = next(o for o in found
                        if isinstance(o, vim.VirtualMachine) and o.name == labs.vcsim.base_image)
            pool = next(o for o in found if isinstance(o, vim.ResourcePool))
            spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool),
                                    config=vim.vm.ConfigSpec(annotation=annotation))
            task = base.CloneVM_Task(folder=base.parent, name=name, spec=spec)
            WaitForTask(task, si=si)
            return task.info.result

    stranger = half_made("made by hand")
    with pytest.raises(ProviderCallError) as failure:
        LabEngine(host=labs.host).up(labs.config, labs.secret_keys)
    assert "carries no gpu-mlaas owner marker" in last_line(failure.value)
    with connect(labs.vcsim) as si:
        WaitForTask(vim.VirtualMachine(stranger._moId, si._stub).Destroy_Task(), si=si)

    half_made("gpu-mlaas vGPU template [managed-by:gpu-mlaas/dev/templates-p100-pool]")
    assert vm_names(labs.vcsim) == labs.vms | {name}

    rebuilds = labs.host.stderr().count(f"VM {name} differs from its inputs")
    fresh = LabEngine(host=labs.host)
    fresh.up(labs.config, labs.secret_keys)
    assert labs.host.stderr().count(f"VM {name} differs from its inputs") == rebuilds + 1
    assert vm_names(labs.vcsim) == labs.vms | {name}  # rebuilt in place, not beside
    with connect(labs.vcsim) as si:
        template = next(vm for vm in objects(si, vim.VirtualMachine) if vm.name == name)
        assert template.config.template is True
        assert [getattr(d.backing, "vgpu", None) for d in template.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualPCIPassthrough)] == [WORKING_PROFILE]
    labs.deployed(fresh)
    labs.destroyed(fresh)
