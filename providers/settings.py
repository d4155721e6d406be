"""One settings layer for every endpoint the providers talk to (vCenter, vRA, later others).

Every TLS switch (`vsphere:allowUnverifiedSsl`, `gpu-mlaas:vra.insecure`, their environment
fallbacks) is read by `switch()`, with one on/off vocabulary and one error for a typo, so the
providers, the program and the policy pack never disagree on whether verification is off. Every
connection registry keys its sessions by `ConnectionKey`: which server, as whom, with which trust.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The one vocabulary. Case and surrounding spaces do not matter; an unset value is "off".
ON = frozenset({"true", "yes", "on", "1"})
OFF = frozenset({"false", "no", "off", "0", ""})


class SettingError(ValueError):
    """A connection setting is malformed; the message names the key or environment variable."""


def switch(value: Any, source: str) -> bool:
    """A true/false setting read from stack config or the environment; `source` names where it
    came from ("config 'vsphere:allowUnverifiedSsl'", "env var VRA_INSECURE"). A typo is an
    error, never a silent "off"."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ON or text in OFF:
        return text in ON
    raise SettingError(
        f"{source} must be true or false ({'/'.join(sorted(ON))} or "
        f"{'/'.join(sorted(OFF - {''}))}), got {value!r}"
    )


@dataclass(frozen=True)
class SwitchSource:
    """Where one TLS switch lives: its stack-config key and its environment fallback."""

    key: str
    env: str

    def read(self, config_value: Any, environ: Mapping[str, str] | None = None) -> bool:
        """On when the stack config or the environment turns it on. Both are read even when
        the first says yes, so a typo in either never goes unseen."""
        env = os.environ if environ is None else environ
        in_config = switch(config_value, f"config '{self.key}'")
        in_env = switch(env.get(self.env), f"env var {self.env}")
        return in_config or in_env

    def which(self, config_value: Any, environ: Mapping[str, str] | None = None) -> str | None:
        """The setting that turns verification off ("config 'k'=true", "env var E=yes"), or
        None when both are off. Raises SettingError on a typo, like `read`."""
        env = os.environ if environ is None else environ
        if switch(config_value, f"config '{self.key}'"):
            return f"config '{self.key}'={config_value}"
        if switch(env.get(self.env), f"env var {self.env}"):
            return f"env var {self.env}={env[self.env]}"
        return None


VSPHERE_UNVERIFIED = SwitchSource("vsphere:allowUnverifiedSsl", "VSPHERE_ALLOW_UNVERIFIED_SSL")
VRA_INSECURE = SwitchSource("gpu-mlaas:vra.insecure", "VRA_INSECURE")
ARIA_INSECURE = SwitchSource("gpu-mlaas:aria.insecure", "ARIA_INSECURE")


def ca_bundle(value: Any, env: str, source: str) -> str | None:
    """A CA bundle path from stack config or its environment fallback, made absolute (relative
    paths are relative to the project root, the provider host's working directory); it must
    exist, so a wrong path fails before any connection."""
    path = value if value not in (None, "") else os.environ.get(env) or None
    if path is None:
        return None
    if not isinstance(path, str):
        raise SettingError(f"{source} / {env} must be a file path, got {path!r}")
    absolute = os.path.abspath(path)
    if not os.path.isfile(absolute):
        raise SettingError(f"{source} / {env}: CA bundle {absolute} does not exist")
    return absolute


@dataclass(frozen=True)
class Trust:
    """How a connection checks the server's certificate."""

    verify: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class ConnectionKey:
    """The key of every connection registry: which server (its base URL), which scope inside it
    (the vRA tenant; "" where the API has none), as whom, with which trust. Secrets are never
    part of it: a changed password reaches the existing connection through its settings, while a
    resource asking for verified TLS never shares a connection built without it."""

    server: str
    scope: str
    account: str
    trust: Trust

    def __str__(self) -> str:
        where = f"{self.server} ({self.scope})" if self.scope else self.server
        return f"{self.account} at {where}"
