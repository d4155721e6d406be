"""Fixtures for the vSphere provider tests: stack config for a lab, and an independent
pyvmomi session for checking what the providers did (never the providers' own session)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import login
from providers.vsphere import client
from tests.support.managed import Managed


def stack_config(lab: Any) -> dict[str, str]:
    """The stack config a `pulumi up` against this lab would hand the providers."""
    return {
        "vsphere:vsphereServer": lab.host_port,
        "vsphere:user": lab.user,
        "vsphere:password": lab.password,
        "vsphere:allowUnverifiedSsl": "false",
        "gpu-mlaas:vsphereCaBundle": str(lab.ca_file),
    }


def configure(provider: Any, lab: Any) -> Any:
    """Configure a provider as the provider host does, then return it."""
    provider.configure(ConfigureRequest(Config(stack_config(lab), "gpu-mlaas")))
    return provider


class Inspector:
    """A separate session on the lab, used only to look at and tamper with the inventory."""

    def __init__(self, lab: VcsimLab) -> None:
        self.si: Any = login(lab)

    def close(self) -> None:
        Disconnect(self.si)

    def __enter__(self) -> Inspector:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def host(self, name: str) -> Any:
        return next(h for h in self._all(vim.HostSystem) if h.name == name)

    def vm(self, name: str) -> Managed:
        """The VM or template with this name; the test fails here when there is none."""
        found = self.find_vm(name)
        assert found is not None, f"no VM named {name!r} in the lab"
        return found

    def find_vm(self, name: str) -> Managed | None:
        return next((v for v, v_name in self._named(vim.VirtualMachine) if v_name == name), None)

    def vm_names(self) -> list[str]:
        return sorted(v_name for _, v_name in self._named(vim.VirtualMachine))

    def session_keys(self) -> set[str]:
        """Sessions open on the lab, except this inspector's own."""
        manager = self.si.content.sessionManager
        own = manager.currentSession.key
        return {s.key for s in manager.sessionList or [] if s.key != own}

    def graphics(self, name: str) -> tuple[str, str]:
        config = self.host(name).config.graphicsConfig
        return config.hostDefaultGraphicsType, config.sharedPassthruAssignmentPolicy

    def set_graphics(self, name: str, graphics_type: str, policy: str = "performance") -> None:
        gm = self.host(name).configManager.graphicsManager
        gm.UpdateGraphicsConfig(
            vim.host.GraphicsConfig(
                hostDefaultGraphicsType=graphics_type, sharedPassthruAssignmentPolicy=policy
            )
        )

    def wait(self, task: Any) -> Any:
        from pyVim.task import WaitForTask

        WaitForTask(task, si=self.si)
        return task.info.result

    def _named(self, vim_type: type) -> list[tuple[Any, str]]:
        """(object, name) pairs; the lab's views can still list a VM destroyed a moment ago."""
        named = []
        for obj in self._all(vim_type):
            try:
                named.append((obj, obj.name))
            except vmodl.fault.ManagedObjectNotFound:
                continue
        return named

    def _all(self, vim_type: type) -> list[Any]:
        view = self.si.content.viewManager.CreateContainerView(
            self.si.content.rootFolder, [vim_type], True
        )
        try:
            return list(view.view)
        finally:
            view.DestroyView()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimLab]:
    """A fresh GPU lab per test module: these tests change host modes and add templates, so
    they keep off the session-wide `vcsim` other suites share."""
    with start_vcsim(ca_dir=tmp_path_factory.mktemp("vsphere-providers-ca")) as started:
        yield started


@pytest.fixture(scope="module")
def inspector(lab: Any) -> Iterator[Inspector]:
    with Inspector(lab) as inspector:
        yield inspector


@pytest.fixture(autouse=True)
def _fresh_client_state() -> Iterator[None]:
    """Each test configures the client itself; no settings or sessions leak between tests."""
    yield
    client.disconnect_all()
    client._configured = None  # module-level settings, reset for the next test
