"""Where the vRA providers get their connection settings from.

The endpoint identity (url, tenant, insecure) is a resource input, so a resource keeps talking to
the vRA it was created in. Credentials and the CA bundle are never inputs: they come from the stack
config handed to `configure()` (project key `gpu-mlaas:vra`, a JSON object) or from environment
variables, and live in this module only, never on a provider instance (dill would pickle them
into state).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from providers import http
from providers import settings as endpoint_settings
from providers.vra.models import EndpointInput

CONFIG_KEY = "gpu-mlaas:vra"
ENV_USERNAME = "VRA_USERNAME"
ENV_PASSWORD = "VRA_PASSWORD"
ENV_CA_BUNDLE = "VRA_CA_BUNDLE"
ENV_INSECURE = "VRA_INSECURE"
ENV_TIMEOUT = "VRA_TIMEOUT"
# Seconds to wait for each vRA answer; a dynamic provider gets no deadline from the engine.
DEFAULT_TIMEOUT_SECONDS = 60.0


class VraSettingsError(ValueError):
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
class Credentials:
    """Who to log in as, how to trust the server and how long to wait for it.
    `password` stays out of repr()."""

    username: str
    password: str = field(repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


_lock = threading.Lock()
_stack_vra: dict[str, Any] = {}


def configure_from_stack(config: Any) -> None:
    """Remember the `gpu-mlaas:vra` object from the stack config given to `configure()`.

    `config` is a `pulumi.dynamic.Config` (anything with `.get(key)`). The engine sends the
    whole stack config; structured values arrive as JSON strings.
    """
    raw = config.get(CONFIG_KEY)
    parsed = parse_vra_config(raw)
    with _lock:
        _stack_vra.clear()
        _stack_vra.update(parsed)


def parse_vra_config(raw: Any) -> dict[str, Any]:
    """Parse the `gpu-mlaas:vra` value (JSON string or object); absent -> empty."""
    return http.json_object(raw, CONFIG_KEY, VraSettingsError)


def credentials_for(endpoint: Endpoint) -> Credentials:
    """Credentials for `endpoint`: stack config first, then the VRA_* environment variables."""
    with _lock:
        cfg = dict(_stack_vra)
    username = cfg.get("username") or os.environ.get(ENV_USERNAME)
    password = cfg.get("password") or os.environ.get(ENV_PASSWORD)
    if not username:
        raise VraSettingsError(
            f"no vRA username for {endpoint.url}: set 'username' in config '{CONFIG_KEY}' "
            f"or the {ENV_USERNAME} environment variable"
        )
    if not password:
        raise VraSettingsError(
            f"no vRA password for {endpoint.url}: set 'password' in config '{CONFIG_KEY}' "
            f"(pulumi config set --secret) or the {ENV_PASSWORD} environment variable"
        )
    try:
        ca_bundle = endpoint_settings.ca_bundle(
            cfg.get("caBundle"), ENV_CA_BUNDLE, f"config '{CONFIG_KEY}'.caBundle"
        )
        # Both read even when the endpoint already says insecure, so a typo never goes unseen.
        insecure = endpoint_settings.VRA_INSECURE.read(cfg.get("insecure")) or endpoint.insecure
    except endpoint_settings.SettingError as exc:
        raise VraSettingsError(str(exc)) from None
    return Credentials(
        username=str(username),
        password=str(password),
        ca_bundle=ca_bundle,
        insecure=insecure,
        timeout_seconds=_timeout(
            cfg["timeoutSeconds"] if "timeoutSeconds" in cfg else os.environ.get(ENV_TIMEOUT)
        ),
    )


def _timeout(raw: Any) -> float:
    """`timeoutSeconds` (config) or VRA_TIMEOUT (env): a positive number of seconds."""
    try:
        return http.seconds(raw, f"config '{CONFIG_KEY}'.timeoutSeconds / {ENV_TIMEOUT}",
                            DEFAULT_TIMEOUT_SECONDS)
    except ValueError as exc:
        raise VraSettingsError(str(exc)) from None
