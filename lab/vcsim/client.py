"""pyVmomi helpers for tests against a running lab: verified-TLS login and session counting."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

if TYPE_CHECKING:
    from lab.vcsim import VcsimLab

# Per SOAP call: a hung simulator fails the caller instead of blocking it forever.
CALL_TIMEOUT_S = 30.0


def ssl_context(lab: VcsimLab) -> ssl.SSLContext:
    """A client context that verifies the lab's certificate against its CA (hostname too)."""
    return ssl.create_default_context(cafile=str(lab.ca_file))


def login(lab: VcsimLab) -> vim.ServiceInstance:
    """A new session on the lab, TLS verified; the caller logs out (`Disconnect`)."""
    return SmartConnect(
        host=lab.host,
        port=lab.port,
        user=lab.user,
        pwd=lab.password,
        sslContext=ssl_context(lab),
        httpConnectionTimeout=CALL_TIMEOUT_S,
    )


@contextmanager
def connect(lab: VcsimLab) -> Iterator[vim.ServiceInstance]:
    """Log in with TLS verification on; log out at the end so no session is left behind."""
    si = login(lab)
    try:
        yield si
    finally:
        Disconnect(si)


def open_sessions(lab: VcsimLab) -> list[vim.UserSession]:
    """Sessions open on the lab right now, not counting the one used to ask."""
    with connect(lab) as si:
        manager = si.content.sessionManager
        current = manager.currentSession if manager else None
        if manager is None or current is None:
            raise RuntimeError(f"the lab at {lab.host_port} reports no session manager/session")
        return [s for s in manager.sessionList if s.key != current.key]


def vm_names(vcsim: VcsimLab) -> set[str]:
    """Names of every VM and template in the lab now."""
    with connect(vcsim) as si:
        views = si.content.viewManager
        assert views is not None
        view = views.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        names: set[str] = set()
        for vm in view.view:
            try:
                names.add(vm.name)
            except vmodl.fault.ManagedObjectNotFound:  # removed between listing and reading
                continue
        view.Destroy()
        return names
