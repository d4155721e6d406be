"""Where the vRA providers get their connection settings from.

The endpoint identity (url, tenant, insecure) is a resource input, so a resource keeps talking to
the vRA it was created in. Credentials and the CA bundle are never inputs: they come from the stack
config handed to `configure()` (project key `gpu-mlaas:vra`, a JSON object) or from environment
variables (the table `mlaas.settings.VRA`), and live in this module only, never on a provider
instance (dill would pickle them into state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mlaas.settings import VRA, SettingError
from providers import settings
from providers.settings import StackObject
from providers.vra.models import EndpointInput

CONFIG_KEY = VRA.obj


class VraSettingsError(SettingError):
    """A connection setting is missing or malformed; the message names the key and env var."""


@dataclass(frozen=True)
class Endpoint:
    """Which vRA a resource lives in: base URL and tenant. No secrets."""

    url: str
    tenant: str
    insecure: bool = False

    @classmethod
    def from_input(cls, value: Any) -> Endpoint:
        """From the `endpoint` input; bad values raise naming the key."""
        try:
            checked = EndpointInput.model_validate(value)
        except ValidationError as exc:
            details = "; ".join(
                ".".join(str(p) for p in ("endpoint", *e["loc"])) + f": {e['msg']}"
                for e in exc.errors()
            )
            raise VraSettingsError(f"invalid input 'endpoint': {details}") from None
        return cls(url=checked.url, tenant=checked.tenant, insecure=checked.insecure)


@dataclass(frozen=True)
class Credentials(settings.Credentials):
    """vRA logs in with a username and a password, always."""

    username: str
    password: str = field(repr=False)


STACK = StackObject(VRA, VraSettingsError)


def configure_from_stack(config: Any) -> None:
    """Remember the `gpu-mlaas:vra` object from the stack config given to `configure()`."""
    STACK.configure(config)


def credentials_for(endpoint: Endpoint) -> Credentials:
    """Credentials for `endpoint`: stack config first, then the VRA_* environment variables."""
    cfg = STACK.values()
    username = STACK.lookup(cfg, VRA.username)
    password = STACK.lookup(cfg, VRA.password)
    if not username:
        raise VraSettingsError(
            f"no vRA username for {endpoint.url}: set 'username' in config '{CONFIG_KEY}' "
            f"or the {VRA.username.env} environment variable"
        )
    if not password:
        raise VraSettingsError(
            f"no vRA password for {endpoint.url}: set 'password' in config '{CONFIG_KEY}' "
            f"(pulumi config set --secret) or the {VRA.password.env} environment variable"
        )
    with STACK.errors():
        ca_bundle = VRA.ca_bundle.path(VRA.ca_bundle.in_config(cfg))
        # Both read even when the endpoint already says insecure, so a typo never goes unseen.
        insecure = VRA.insecure.read(VRA.insecure.in_config(cfg)) or endpoint.insecure
        timeout = VRA.timeout.read(VRA.timeout.in_config(cfg))
    return Credentials(
        username=str(username),
        password=str(password),
        ca_bundle=ca_bundle,
        insecure=insecure,
        timeout_seconds=timeout,
    )
