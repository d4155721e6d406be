"""What the vSphere providers share on top of `providers.base.SchemaProvider`: the connection
settings from the stack config, and input comparison that treats a key missing from older state
as its default (so state written before a key existed refreshes without a diff)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from pulumi.dynamic import ConfigureRequest, ReadResult
from pyVmomi import vim

from providers.base import SchemaProvider
from providers.unknowns import contains_unknown
from providers.vsphere import client

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """Whole floats (numbers cross gRPC as floats) as ints, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class VsphereProvider(SchemaProvider):
    """Base of the vSphere providers; holds no state (settings live in `client`)."""

    def configure(self, req: ConfigureRequest) -> None:
        client.configure(req.config)

    def _default(self, key: str) -> Any:
        info = self.inputs_model.model_fields[key]
        return None if info.is_required() else info.get_default(call_default_factory=True)

    def key_change(self, key: str, old: Any, new: Any) -> tuple[bool, bool]:
        if contains_unknown(new):
            return True, key in self.replace_keys
        old = self._default(key) if old is None else old
        new = self._default(key) if new is None else new
        changed = _plain(old) != _plain(new)
        return changed, changed and key in self.replace_keys

    def read_object(
        self,
        id_: str,
        vim_type: type,
        paths: Sequence[str],
        what: str,
        outputs: Callable[[Any, dict[str, Any]], dict[str, Any]],
    ) -> ReadResult:
        """Refresh of the object with moid `id_`: `outputs(moref, its paths)` is what state
        keeps (inputs among them); an object that is gone drops out of state."""

        def op(si: vim.ServiceInstance) -> ReadResult:
            ref = client.moref(si, vim_type, id_)
            current = client.properties(si, ref, paths)
            if current is None:
                log.info("%s (%s) is gone", what, id_)
                return ReadResult("", {})
            outs = outputs(ref, current)
            return ReadResult(id_, outs, self.inputs_of(outs))

        return client.run(op, read_only=True)
