"""CustomizationSpecProvider against the GPU lab: create, read, update, delete, and the owner
marker in the spec's description deciding what it may adopt, change or delete."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim

from providers import ownership
from providers.vsphere.customization_spec import CustomizationSpecProvider
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.results import outs_of

DEV = "gpu-mlaas/dev/templates-linux"
PROD = "gpu-mlaas/prod/templates-linux"


def inputs(name: str, owner: str | None = DEV, **extra: Any) -> dict[str, Any]:
    return {"name": name, "domain": "lab.local", "description": "ML guests", "owner": owner,
            **extra}


@pytest.fixture
def provider(lab: Any) -> CustomizationSpecProvider:
    return configure(CustomizationSpecProvider(), lab)


def stored(inspector: Inspector, name: str) -> Any:
    return inspector.si.content.customizationSpecManager.GetCustomizationSpec(name=name)


def test_lifecycle_writes_linux_dhcp_with_the_owner_marker(
    provider: CustomizationSpecProvider, inspector: Inspector
) -> None:
    news = provider.check({}, inputs("spec-life")).inputs
    created = provider.create(news)
    assert created.id == "spec-life"
    item = stored(inspector, "spec-life")
    assert item.info.type == "Linux"
    assert item.info.description == f"ML guests [managed-by:{DEV}]"
    identity = item.spec.identity
    assert isinstance(identity, vim.vm.customization.LinuxPrep)
    assert (identity.domain, identity.timeZone, identity.hwClockUTC) == ("lab.local", "Etc/UTC",
                                                                        True)
    assert isinstance(identity.hostName, vim.vm.customization.VirtualMachineNameGenerator)
    (nic,) = item.spec.nicSettingMap
    assert isinstance(nic.adapter.ip, vim.vm.customization.DhcpIpGenerator)

    read = provider.read(created.id, outs_of(created))
    assert provider.diff(created.id, outs_of(read), news).changes is False

    changed = provider.check({}, inputs("spec-life", timeZone="Europe/Berlin")).inputs
    diff = provider.diff(created.id, outs_of(read), changed)
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, outs_of(read), changed)
    assert stored(inspector, "spec-life").spec.identity.timeZone == "Europe/Berlin"
    assert provider.diff(created.id, outs_of(created), {**changed, "name": "other"}).replaces == [
        "name"
    ]

    provider.delete(created.id, outs_of(created))
    assert inspector.si.content.customizationSpecManager.DoesCustomizationSpecExist(
        name="spec-life"
    ) is False
    assert provider.read(created.id, outs_of(created)).id == ""


def test_another_stacks_spec_is_never_adopted_changed_or_deleted(
    provider: CustomizationSpecProvider, inspector: Inspector
) -> None:
    dev = provider.create(provider.check({}, inputs("spec-shared")).inputs)
    prod_inputs = provider.check({}, inputs("spec-shared", owner=PROD)).inputs
    with pytest.raises(ownership.NotOwnedError) as err:
        provider.create(prod_inputs)
    assert str(err.value).startswith(
        f"customization spec 'spec-shared' already exists and it belongs to {DEV}, not to {PROD}"
    )
    with pytest.raises(ownership.NotOwnedError):
        provider.update("spec-shared", {**prod_inputs}, prod_inputs)
    provider.delete("spec-shared", prod_inputs)  # prod's destroy leaves dev's spec
    assert stored(inspector, "spec-shared").info.description.endswith(f"[managed-by:{DEV}]")

    # A retry of dev's own create (a lost answer) adopts it.
    again = provider.create(provider.check({}, inputs("spec-shared")).inputs)
    assert again.id == dev.id
    provider.delete(dev.id, outs_of(dev))


def test_an_unmarked_spec_is_not_adopted(
    provider: CustomizationSpecProvider, inspector: Inspector
) -> None:
    # vcsim seeds a spec nobody here made.
    assert stored(inspector, "vcsim-linux").info.name == "vcsim-linux"
    with pytest.raises(ownership.NotOwnedError, match="carries no gpu-mlaas owner marker"):
        provider.create(provider.check({}, inputs("vcsim-linux")).inputs)
