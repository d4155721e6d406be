"""Where the Aria providers get their connection settings from.

The endpoint (url, insecure) is a resource input, so a resource keeps talking to the Aria it was
created in. Credentials and the CA bundle are never inputs: they come from the stack config handed
to `configure()` (key `gpu-mlaas:aria`, a JSON object) or from ARIA_* environment variables, and
live in this module only, never on a provider instance (dill would pickle them into state).
Either a refresh token or a username and password is needed (docs/aria8-api.md, Login).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from providers import http
from providers.settings import ARIA_INSECURE

CONFIG_KEY = "gpu-mlaas:aria"
ENV = {
    "username": "ARIA_USERNAME",
    "password": "ARIA_PASSWORD",
    "refreshToken": "ARIA_REFRESH_TOKEN",
    "domain": "ARIA_DOMAIN",
    "caBundle": "ARIA_CA_BUNDLE",
    "insecure": "ARIA_INSECURE",
    "timeoutSeconds": "ARIA_TIMEOUT",
}
DEFAULT_TIMEOUT_SECONDS = 60.0


class AriaSettingsError(ValueError):
    """A connection setting is missing or malformed; the message names the key and env var."""


@dataclass(frozen=True)
class Credentials:
    """Who to log in as, how to trust the server, how long to wait. Secrets stay out of repr()."""

    username: str | None
    password: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    domain: str | None = None
    ca_bundle: str | None = None
    insecure: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


_lock = threading.Lock()
_stack_aria: dict[str, Any] = {}


def parse_aria_config(raw: Any) -> dict[str, Any]:
    """The `gpu-mlaas:aria` value (JSON string or object); absent -> empty."""
    return http.json_object(raw, CONFIG_KEY, AriaSettingsError)


def configure_from_stack(config: Any) -> None:
    """Remember `gpu-mlaas:aria` from the stack config given to `configure()`."""
    parsed = parse_aria_config(config.get(CONFIG_KEY))
    with _lock:
        _stack_aria.clear()
        _stack_aria.update(parsed)


def reset_stack_settings() -> None:
    with _lock:
        _stack_aria.clear()


def _setting(cfg: dict[str, Any], key: str) -> Any:
    value = cfg.get(key)
    return value if value not in (None, "") else os.environ.get(ENV[key]) or None


def credentials_for(url: str, insecure: bool) -> Credentials:
    """Credentials for the Aria at `url`: stack config first, then ARIA_* variables."""
    with _lock:
        cfg = dict(_stack_aria)
    username, password = _setting(cfg, "username"), _setting(cfg, "password")
    refresh_token = _setting(cfg, "refreshToken")
    if not refresh_token and not (username and password):
        raise AriaSettingsError(
            f"no Aria credentials for {url}: set 'refreshToken', or 'username' and 'password', "
            f"in config '{CONFIG_KEY}' (secrets: pulumi config set --secret --path), or "
            f"{ENV['refreshToken']} / {ENV['username']} and {ENV['password']}"
        )
    ca_bundle = _setting(cfg, "caBundle")
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise AriaSettingsError(
            f"CA bundle {ca_bundle!r} (config '{CONFIG_KEY}'.caBundle or {ENV['caBundle']}) "
            "does not exist"
        )
    try:
        insecure_switch = ARIA_INSECURE.read(cfg.get("insecure"))
        timeout = http.seconds(
            _setting(cfg, "timeoutSeconds"),
            f"config '{CONFIG_KEY}'.timeoutSeconds / {ENV['timeoutSeconds']}",
            DEFAULT_TIMEOUT_SECONDS,
        )
    except ValueError as exc:
        raise AriaSettingsError(str(exc)) from None
    return Credentials(
        username=str(username) if username else None,
        password=str(password) if password else None,
        refresh_token=str(refresh_token) if refresh_token else None,
        domain=_setting(cfg, "domain"),
        ca_bundle=ca_bundle,
        insecure=insecure or insecure_switch,
        timeout_seconds=timeout,
    )
