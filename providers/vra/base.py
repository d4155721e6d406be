"""What every vRA dynamic provider shares: configure, check, diff, endpoint handling.

`check` and `diff` never call vRA. `diff` compares the resource's input keys only (never
`__provider` or computed outputs); a different vRA (url or tenant) or a different client-chosen
id is a replacement, everything else an in-place update.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, ConfigureRequest

from providers import settings
from providers.base import RestProvider
from providers.base import domain_props as domain_props  # re-exported for callers
from providers.unknowns import UNKNOWN as UNKNOWN  # re-exported for callers and tests
from providers.unknowns import contains_unknown
from providers.vra.client import VraClient, VraError, client_for
from providers.vra.models import VRA_ID, derive_id
from providers.vra.settings import Endpoint, configure_from_stack


class EndpointArgs(settings.EndpointArgs):
    """Which vRA a resource lives in (no secrets: credentials come from stack config)."""

    tenant: pulumi.Input[str]
    """Tenant URL name, e.g. vsphere.local"""


class VraProvider(RestProvider):
    """Base of the vRA providers: the endpoint (url and tenant) is part of every object's
    identity; a client-chosen id (in `replace_keys`) never changes once in state."""

    service = "vRA"
    endpoint_identity = ("url", "tenant")

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
        same_vra = not self.endpoint_moved(olds.get("endpoint"), inputs.get("endpoint"))
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

