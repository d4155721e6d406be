"""Two stacks with the same config on one vCenter: each gets its own template (names include
the stack), a create never adopts another stack's VM, and one stack's destroy leaves the other's
template; state written before the schema port refreshes without a diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from providers import ownership
from providers.vsphere.host_graphics import HostGraphicsProvider
from providers.vsphere.vgpu_template import VgpuTemplateProvider, versioned_name
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.results import outs_of

# Outputs of the previous version's providers (commit b92c0e3, before SchemaProvider), taken
# from a run of that code against the lab.
OLD_STATE = json.loads((Path(__file__).parent / "data/state_before_schema.json").read_text())


def template_inputs(lab: Any, stack: str) -> dict[str, Any]:
    """What VgpuVmTemplates declares for pool p100-pool in `stack` (same config everywhere)."""
    return {
        "name": f"mlaas-vgpu-{stack}-p100-pool",
        "datacenter": lab.datacenter,
        "cluster": lab.cluster,
        "datastore": lab.datastore,
        "baseImage": lab.base_image,
        "vgpuProfile": "grid_p100-4q",
        "numCpus": 4,
        "coresPerSocket": 4,
        "memoryMb": 32768,
        "minHardwareVersion": 11,
        "owner": f"gpu-mlaas/{stack}/templates-p100-pool",
    }


@pytest.fixture
def provider(lab: Any) -> VgpuTemplateProvider:
    return configure(VgpuTemplateProvider(), lab)


def test_two_stacks_get_their_own_templates_and_destroy_only_theirs(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    dev = provider.create(provider.check({}, template_inputs(lab, "dev")).inputs)
    prod = provider.create(provider.check({}, template_inputs(lab, "prod")).inputs)
    assert outs_of(dev)["templateName"] != outs_of(prod)["templateName"]
    assert inspector.vm(outs_of(dev)["templateName"]).config.annotation.endswith(
        "[managed-by:gpu-mlaas/dev/templates-p100-pool]"
    )
    provider.delete(prod.id, outs_of(prod))
    assert inspector.find_vm(outs_of(prod)["templateName"]) is None
    assert inspector.find_vm(outs_of(dev)["templateName"]) is not None
    provider.delete(dev.id, outs_of(dev))


def test_a_vm_of_the_same_name_is_adopted_only_with_this_resources_marker(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    mine = provider.check({}, template_inputs(lab, "dev")).inputs
    created = provider.create(mine)
    name = versioned_name(mine)
    # Same name wanted by a resource with another owner (e.g. a renamed stack).
    other = {**mine, "owner": "gpu-mlaas/other/templates-p100-pool"}
    with pytest.raises(ownership.NotOwnedError) as err:
        provider.create(other)
    assert str(err.value).startswith(
        f"VM template {name!r} already exists and it belongs to gpu-mlaas/dev/templates-p100-pool"
    )
    # Its delete (state pointing at the same VM) leaves it; a retried create of ours adopts it.
    provider.delete(created.id, {**outs_of(created), "owner": other["owner"]})
    assert inspector.find_vm(name) is not None
    assert provider.create(mine).id == created.id
    provider.delete(created.id, outs_of(created))
    assert inspector.find_vm(name) is None


def test_state_of_the_previous_version_refreshes_without_a_diff(
    lab: Any, inspector: Inspector
) -> None:
    hosts = configure(HostGraphicsProvider(), lab)
    old_host = OLD_STATE["hostGraphics"]
    host_id = inspector.host(old_host["inputs"]["hostName"])._moId
    hosts.create(hosts.check({}, old_host["inputs"]).inputs)  # the host as the old run left it
    olds = {**old_host["outs"], "hostId": host_id}
    news = hosts.check(olds, old_host["inputs"]).inputs
    assert hosts.diff(host_id, olds, news).changes is False  # `up` without refresh
    read = hosts.read(host_id, olds)
    assert read.id == host_id
    assert hosts.diff(host_id, outs_of(read), news).changes is False  # refresh, then `up`

    templates = configure(VgpuTemplateProvider(), lab)
    old = OLD_STATE["vgpuTemplate"]
    # The previous version's name for these inputs is the name this version computes.
    assert versioned_name(old["inputs"]) == old["outs"]["templateName"]
    built = templates.create(templates.check({}, old["inputs"]).inputs)
    try:
        olds = {**old["outs"], "templateId": built.id, "uuid": outs_of(built)["uuid"]}
        news = templates.check(olds, old["inputs"]).inputs
        assert templates.diff(built.id, olds, news).changes is False
        read = templates.read(built.id, olds)
        assert read.id == built.id
        assert templates.diff(built.id, outs_of(read), news).changes is False
    finally:
        templates.delete(built.id, outs_of(built))


def test_update_writes_the_marker_on_a_legacy_template_and_refuses_a_foreign_one(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    legacy = {**template_inputs(lab, "dev"), "name": "legacy-p100-pool"}
    del legacy["owner"]  # state written before owner markers existed
    created = provider.create(provider.check({}, legacy).inputs)
    name = outs_of(created)["templateName"]
    assert inspector.vm(name).config.annotation == "gpu-mlaas vGPU template"

    news = provider.check({}, {**legacy, "owner": "gpu-mlaas/dev/templates-p100-pool"}).inputs
    diff = provider.diff(created.id, outs_of(created), news)
    assert diff.changes is True and diff.replaces == []  # the marker is written in place
    updated = provider.update(created.id, outs_of(created), news)
    assert inspector.vm(name).config.annotation.endswith(
        "[managed-by:gpu-mlaas/dev/templates-p100-pool]"
    )

    # Someone else's marker on it now: no update, no delete.
    vm = inspector.vm(name)
    inspector.wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(
        annotation="x [managed-by:gpu-mlaas/prod/templates-p100-pool]")))
    with pytest.raises(ownership.NotOwnedError, match="belongs to gpu-mlaas/prod"):
        provider.update(created.id, outs_of(updated), {**news, "acceptanceTest": True})
    provider.delete(created.id, outs_of(updated))
    assert inspector.find_vm(name) is not None
    inspector.wait(inspector.vm(name).Destroy_Task())
