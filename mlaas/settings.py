"""The settings vocabulary every layer shares: how a connection setting is spelt in stack config,
its environment fallback, how a switch, a CA bundle, a number of seconds or a JSON object is
read, which stacks are lab stacks, and one table per backend (vSphere, vRA, Aria) naming each of
its settings.

The program (`mlaas.config`, `mlaas.stack_checks`), the policy pack and the dynamic providers all
read a setting through this module, so they never disagree on whether TLS verification is off or
which variable a value came from. Core module: no Pulumi engine, nothing from `providers/`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Stacks that run against the local labs, where TLS verification may be off (the policy pack's
# `labStacks` default, the stack checks of `plan`, the lab's `make up`).
LAB_STACKS = ("dev", "dev-aria")

# The one on/off vocabulary. Case and surrounding spaces do not matter; an unset value is "off".
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


def config_object(raw: Any, source: str, error: type[ValueError] = SettingError) -> dict[str, Any]:
    """A structured config value (engines hand them over as JSON text); absent -> empty."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise error(f"config '{source}' is not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise error(f"config '{source}' must be a JSON object")
    return dict(raw)


def seconds(raw: Any, source: str, default: float) -> float:
    """A positive, finite number of seconds; absent -> `default`."""
    if raw is None or raw == "":
        return default
    try:
        value = -1.0 if isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise SettingError(f"{source} must be a positive number of seconds, got {raw!r}")
    return value


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


@dataclass(frozen=True)
class Setting:
    """One connection setting: its place in stack config and its environment variable. `obj` is
    the config object it lives in (`gpu-mlaas:vra`), None for a key of its own
    (`vsphere:user`); `field` is its key inside that object, or the whole key."""

    obj: str | None
    field: str
    env: str

    @property
    def key(self) -> str:
        """The key path a user writes: `gpu-mlaas:vra.caBundle`, `vsphere:user`."""
        return f"{self.obj}.{self.field}" if self.obj else self.field

    @property
    def where(self) -> str:
        """How messages name its config key."""
        return f"config '{self.obj}'.{self.field}" if self.obj else f"'{self.field}'"

    @property
    def label(self) -> str:
        """How messages name it: config key and environment variable."""
        return f"{self.where} / {self.env}"

    def in_config(self, config: Any) -> Any:
        """Its value in `config`: the backend's config object (a mapping) when it lives in
        one, else anything with `.get(key)` (stack values, `pulumi.dynamic.Config`); None when
        `config` is None."""
        if config is None:
            return None
        return config.get(self.field if self.obj else self.key)

    def lookup(self, config_value: Any, environ: Mapping[str, str] | None = None) -> Any:
        """The config value, else the environment's; None when neither is set (or blank)."""
        if config_value is not None and config_value != "":
            return config_value
        return _environ(environ).get(self.env) or None


@dataclass(frozen=True)
class Switch(Setting):
    """A TLS switch: on when the stack config or the environment turns it on."""

    @property
    def source(self) -> str:
        return f"config '{self.key}'"

    def read(self, config_value: Any, environ: Mapping[str, str] | None = None) -> bool:
        """Both are read even when the first says yes, so a typo in either never goes unseen."""
        env = _environ(environ)
        in_config = switch(config_value, self.source)
        in_env = switch(env.get(self.env), f"env var {self.env}")
        return in_config or in_env

    def which(self, config_value: Any, environ: Mapping[str, str] | None = None) -> str | None:
        """The setting that turns verification off ("config 'k'=true", "env var E=yes"), or
        None when both are off. Raises SettingError on a typo, like `read`."""
        env = _environ(environ)
        if switch(config_value, self.source):
            return f"{self.source}={config_value}"
        if switch(env.get(self.env), f"env var {self.env}"):
            return f"env var {self.env}={env[self.env]}"
        return None


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
class CaBundle(Setting):
    """A CA bundle path (see `ca_bundle`)."""

    def path(self, config_value: Any) -> str | None:
        return ca_bundle(config_value, self.env, self.where)


@dataclass(frozen=True)
class Seconds(Setting):
    """A timeout in seconds, `default` when neither config nor environment sets it."""

    default: float = 60.0

    def read(self, config_value: Any, environ: Mapping[str, str] | None = None) -> float:
        return seconds(self.lookup(config_value, environ), self.label, self.default)


# --- one table per backend ------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """The settings every backend has: who logs in, how the server is trusted."""

    name: str
    obj: str | None  # the config object holding its settings; None: keys of their own
    username: Setting
    password: Setting
    ca_bundle: CaBundle
    insecure: Switch

    def stack_value(self, setting: Setting, values: Mapping[str, Any]) -> Any:
        """`setting`'s value among a stack's config values (full keys; an object as a mapping
        or as the JSON text engines hand over). A malformed object raises SettingError."""
        if setting.obj is None:
            return values.get(setting.key)
        return config_object(values.get(setting.obj), setting.obj).get(setting.field)


@dataclass(frozen=True)
class VsphereSettings(Backend):
    server: Setting


@dataclass(frozen=True)
class RestSettings(Backend):
    obj: str  # a REST backend's settings are one JSON object
    timeout: Seconds


@dataclass(frozen=True)
class AriaSettings(RestSettings):
    refresh_token: Setting
    domain: Setting


VSPHERE = VsphereSettings(
    name="vSphere",
    obj=None,
    server=Setting(None, "vsphere:vsphereServer", "VSPHERE_SERVER"),
    username=Setting(None, "vsphere:user", "VSPHERE_USER"),
    password=Setting(None, "vsphere:password", "VSPHERE_PASSWORD"),
    ca_bundle=CaBundle(None, "gpu-mlaas:vsphereCaBundle", "VSPHERE_CA_BUNDLE"),
    insecure=Switch(None, "vsphere:allowUnverifiedSsl", "VSPHERE_ALLOW_UNVERIFIED_SSL"),
)

def _rest(obj: str, prefix: str) -> dict[str, Any]:
    """The settings every REST backend keeps in its config object, each with the variable
    `<PREFIX>_USERNAME`, `_PASSWORD`, `_CA_BUNDLE`, `_INSECURE`, `_TIMEOUT`."""
    return {
        "obj": obj,
        "username": Setting(obj, "username", f"{prefix}_USERNAME"),
        "password": Setting(obj, "password", f"{prefix}_PASSWORD"),
        "ca_bundle": CaBundle(obj, "caBundle", f"{prefix}_CA_BUNDLE"),
        "insecure": Switch(obj, "insecure", f"{prefix}_INSECURE"),
        "timeout": Seconds(obj, "timeoutSeconds", f"{prefix}_TIMEOUT"),
    }


# gpu-mlaas:vra.{username,password,caBundle,insecure,timeoutSeconds}, VRA_* variables.
VRA = RestSettings(name="vRA", **_rest("gpu-mlaas:vra", "VRA"))
# The same under gpu-mlaas:aria and ARIA_*, plus a refresh token and the CSP login domain.
ARIA = AriaSettings(
    name="Aria",
    **_rest("gpu-mlaas:aria", "ARIA"),
    refresh_token=Setting("gpu-mlaas:aria", "refreshToken", "ARIA_REFRESH_TOKEN"),
    domain=Setting("gpu-mlaas:aria", "domain", "ARIA_DOMAIN"),
)

BACKENDS: tuple[Backend, ...] = (VSPHERE, VRA, ARIA)
