"""Where the Aria providers get their connection settings from.

The endpoint (url, insecure) is a resource input, so a resource keeps talking to the Aria it was
created in. Credentials and the CA bundle are never inputs: they come from the stack config handed
to `configure()` (key `gpu-mlaas:aria`, a JSON object) or from ARIA_* environment variables (the
table `mlaas.settings.ARIA`), and live in this module only, never on a provider instance (dill
would pickle them into state). Either a refresh token or a username and password is needed
(docs/aria8-api.md, Login).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlaas.settings import ARIA, SettingError
from providers import settings
from providers.settings import StackObject

CONFIG_KEY = ARIA.obj


class AriaSettingsError(SettingError):
    """A connection setting is missing or malformed; the message names the key and env var."""


@dataclass(frozen=True)
class Credentials(settings.Credentials):
    """Aria logs in with a refresh token, or a username and password (CSP login domain)."""

    refresh_token: str | None = field(default=None, repr=False)
    domain: str | None = None


STACK = StackObject(ARIA, AriaSettingsError)


def configure_from_stack(config: Any) -> None:
    """Remember `gpu-mlaas:aria` from the stack config given to `configure()`."""
    STACK.configure(config)


def reset_stack_settings() -> None:
    STACK.reset()


def credentials_for(url: str, insecure: bool) -> Credentials:
    """Credentials for the Aria at `url`: stack config first, then ARIA_* variables."""
    cfg = STACK.values()
    username, password = STACK.lookup(cfg, ARIA.username), STACK.lookup(cfg, ARIA.password)
    refresh_token = STACK.lookup(cfg, ARIA.refresh_token)
    if not refresh_token and not (username and password):
        raise AriaSettingsError(
            f"no Aria credentials for {url}: set 'refreshToken', or 'username' and 'password', "
            f"in config '{CONFIG_KEY}' (secrets: pulumi config set --secret --path), or "
            f"{ARIA.refresh_token.env} / {ARIA.username.env} and {ARIA.password.env}"
        )
    with STACK.errors():
        ca_bundle = ARIA.ca_bundle.path(ARIA.ca_bundle.in_config(cfg))
        insecure_switch = ARIA.insecure.read(ARIA.insecure.in_config(cfg))
        timeout = ARIA.timeout.read(ARIA.timeout.in_config(cfg))
    domain = STACK.lookup(cfg, ARIA.domain)
    return Credentials(
        username=str(username) if username else None,
        password=str(password) if password else None,
        refresh_token=str(refresh_token) if refresh_token else None,
        domain=str(domain) if domain else None,
        ca_bundle=ca_bundle,
        insecure=insecure or insecure_switch,
        timeout_seconds=timeout,
    )
