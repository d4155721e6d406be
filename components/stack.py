"""The stack config as the Pulumi runtime hands it to the program, validated by the core."""

from __future__ import annotations

import pulumi
import pulumi.runtime.config as runtime_config

from mlaas.config import StackConfig
from mlaas.issues import PROJECT, ConfigError
from mlaas.loading import from_runtime
from mlaas.settings import VSPHERE, SettingError

# Sections `plan` can do without but a deployment needs; plus one catalog backend.
DEPLOY_KEYS = ("datacenter", "template", "catalog")
BACKEND_KEYS = ("vra", "aria")


def load() -> StackConfig:
    """Validate every `gpu-mlaas:*` key before any resource is declared; a bad config stops the
    program with one message listing each bad key path (no traceback)."""
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in raw if runtime_config.is_config_secret(key)}
    try:
        config = from_runtime(raw, secret_keys, pulumi.get_stack())
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    missing = [f"{PROJECT}:{key}" for key in DEPLOY_KEYS if getattr(config, key) is None]
    if all(getattr(config, key) is None for key in BACKEND_KEYS):
        missing.append(" or ".join(f"{PROJECT}:{key}" for key in BACKEND_KEYS))
    if missing:
        raise pulumi.RunError(
            "invalid stack configuration: a deployment needs "
            + ", ".join(missing)
            + " (see README, Configuration)"
        )
    return config


def check_vsphere_settings() -> None:
    """The `vsphere:*` keys the vSphere providers read: server and user must be set; the password
    may come from VSPHERE_PASSWORD instead, but in stack config it must be a secret."""
    settings = pulumi.Config("vsphere")
    missing = [key for key in ("vsphereServer", "user") if settings.get(key) is None]
    if missing:
        keys = ", ".join(f"vsphere:{key}" for key in missing)
        raise pulumi.RunError(f"invalid stack configuration: {keys} must be set")
    if settings.get("password") is not None and not runtime_config.is_config_secret(
        "vsphere:password"
    ):
        raise pulumi.RunError(
            "invalid stack configuration: vsphere:password must be a secret; set it with "
            "`pulumi config set --secret vsphere:password ...`"
        )
    try:
        # The one TLS switch parser, as the dynamic providers read it (config, then env).
        VSPHERE.insecure.read(settings.get("allowUnverifiedSsl"))
    except SettingError as error:
        raise pulumi.RunError(f"invalid stack configuration: {error}") from None
