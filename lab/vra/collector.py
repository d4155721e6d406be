"""Data collection: a real vRA learns vSphere templates from its vCenter endpoint. When the lab
is given a vCenter (the vCenter lab's URL and CA bundle), every source-machine look-up first
lists that vCenter's templates, so clone blueprints can name templates created moments ago."""

from __future__ import annotations

import ssl
import threading
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from lab.vcsim.client import CALL_TIMEOUT_S

# Stable ids: the same template name always gets the same source-machine id.
_NAMESPACE = uuid.UUID("6f1d4a38-93c5-4f55-a4f8-1b0e3f5d2c71")


def source_machine_id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


class VcenterCollector:
    """Lists template names of one vCenter; one session, reused, re-opened when it expires."""

    def __init__(self, url: str, ca_file: Path) -> None:
        parts = urlsplit(url)
        if not parts.hostname or not parts.username:
            raise ValueError("the vCenter URL needs credentials: https://USER:PASS@HOST:PORT/sdk")
        self._host, self._port = parts.hostname, parts.port or 443
        self._user, self._password = unquote(parts.username), unquote(parts.password or "")
        self._context = ssl.create_default_context(cafile=str(ca_file))
        self._lock = threading.Lock()
        self._si: vim.ServiceInstance | None = None

    def _connect(self) -> vim.ServiceInstance:
        if self._si is None:
            self._si = SmartConnect(host=self._host, port=self._port, user=self._user,
                                    pwd=self._password, sslContext=self._context,
                                    httpConnectionTimeout=CALL_TIMEOUT_S)
        return self._si

    def templates(self) -> list[str]:
        with self._lock:
            try:
                return self._templates(self._connect())
            except (vim.fault.NotAuthenticated, vmodl.fault.ManagedObjectNotFound):
                self._si = None
                return self._templates(self._connect())

    @staticmethod
    def _templates(si: vim.ServiceInstance) -> list[str]:
        content = si.content
        assert content.viewManager is not None and content.propertyCollector is not None
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.VirtualMachine], True
        )
        try:
            spec = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                    obj=view, skip=True,
                    selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                        name="view", path="view", skip=False, type=vim.view.ContainerView)],
                )],
                propSet=[vmodl.query.PropertyCollector.PropertySpec(
                    type=vim.VirtualMachine, pathSet=["name", "config.template"])],
            )
            names: list[str] = []
            for item in content.propertyCollector.RetrieveContents([spec]):
                props = {p.name: p.val for p in item.propSet}
                if props.get("config.template"):
                    names.append(str(props["name"]))
            return names
        finally:
            view.Destroy()

    def close(self) -> None:
        with self._lock:
            if self._si is not None:
                Disconnect(self._si)
                self._si = None
