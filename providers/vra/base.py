"""What every vRA dynamic provider shares: configure, check, diff, endpoint handling.

`check` and `diff` never call vRA. `diff` compares the resource's input keys only (never
`__provider` or computed outputs); a different vRA (url or tenant) or a different client-chosen
id is a replacement, everything else an in-place update.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, NotRequired, TypedDict

import pulumi
from pulumi.dynamic import CheckFailure, ConfigureRequest

from providers.base import SchemaProvider
from providers.base import domain_props as domain_props  # re-exported for callers
from providers.unknowns import UNKNOWN as UNKNOWN  # re-exported for callers and tests
from providers.unknowns import contains_unknown
from providers.vra.client import VraClient, VraError, client_for
from providers.vra.models import VRA_ID, derive_id
from providers.vra.settings import Endpoint, configure_from_stack


class EndpointArgs(TypedDict):
    """Which vRA a resource lives in (no secrets: credentials come from stack config)."""

    url: pulumi.Input[str]
    """Base URL, e.g. https://vra.example.com"""
    tenant: pulumi.Input[str]
    """Tenant URL name, e.g. vsphere.local"""
    insecure: NotRequired[pulumi.Input[bool]]
    """Skip TLS verification (logged as a warning)."""


class VraProvider(SchemaProvider):
    """Base of the vRA providers: the endpoint (url and tenant) is part of every object's
    identity; a client-chosen id never changes once in state."""

    # Input keys whose change means a different object in vRA (besides endpoint url/tenant).
    identity_keys: ClassVar[tuple[str, ...]] = ()

    def configure(self, req: ConfigureRequest) -> None:
        configure_from_stack(req.config)

    def complete_id(
        self, inputs: dict[str, Any], olds: dict[str, Any], key: str, prefix: str = ""
    ) -> list[CheckFailure]:
        """Fill the client-chosen id `key` when absent: keep the one already in state (a
        rename must not move the object), else derive it from `name` and the owner's stack
        (models.derive_id: unique per stack and per exact name)."""
        name, owner = inputs.get("name"), inputs.get("owner")
        if key in inputs or contains_unknown(name) or contains_unknown(owner) or name is None:
            return []
        same_vra = not _endpoint_moved(olds.get("endpoint"), inputs.get("endpoint"))
        derived = (
            olds.get(key)
            if olds.get(key) and same_vra
            else derive_id(name, owner, prefix)
        )
        if not VRA_ID.match(derived or ""):
            return [
                CheckFailure(
                    key,
                    f"{self.kind}: cannot derive a vRA id from name {inputs['name']!r}; "
                    f"set '{key}' (a letter, then letters, digits, '_', '.', '-')",
                )
            ]
        inputs[key] = derived
        return []

    def key_change(self, key: str, old: Any, new: Any) -> tuple[bool, bool]:
        if key == "endpoint":
            if contains_unknown(new) or _endpoint_moved(old, new):
                return True, True
            # Same vRA, different trust setting: nothing to replace.
            return bool((old or {}).get("insecure")) != bool((new or {}).get("insecure")), False
        changed = contains_unknown(new) or old != new
        return changed, changed and key in self.identity_keys

    def gone(self, id_: str) -> RuntimeError:
        """Error for an update whose object vanished: vRA would give a re-made one a new id,
        which an update cannot report, so the user refreshes and Pulumi creates it again."""
        return RuntimeError(
            f"{self.kind} {id_!r} no longer exists in vRA (deleted outside Pulumi); "
            "run `pulumi refresh`, then `pulumi up` creates it again"
        )

    @contextmanager
    def explained(self, action: str, name: str) -> Iterator[None]:
        """Errors from vRA reach the user with one clear line first: which object, what failed,
        what to do; vRA's own answer follows."""
        try:
            yield
        except VraError as exc:
            raise exc.about(self.kind, name, action) from exc.__cause__

    @staticmethod
    def endpoint_of(props: dict[str, Any]) -> Endpoint:
        return Endpoint.from_input(props.get("endpoint"))

    def client(self, props: dict[str, Any]) -> VraClient:
        return client_for(self.endpoint_of(props))


def _endpoint_moved(old: Any, new: Any) -> bool:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    return (str(old.get("url", "")).rstrip("/"), old.get("tenant")) != (
        str(new.get("url", "")).rstrip("/"),
        new.get("tenant"),
    )
