"""The real program (`__main__.py`) evaluated under `pulumi.runtime.set_mocks`, and the dev
stack's config it runs with. Shared by the unit tests, the lab engine and the benchmarks."""

from __future__ import annotations

import json
import runpy
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.runtime.settings as runtime_settings
import yaml
from pulumi.runtime import mocks

from tests.support.dynamic_host import PROJECT_ROOT


def dev_config_values(stack: str = "dev") -> dict[str, Any]:
    """The `config:` section of a committed lab stack (dev, dev-aria), as YAML values."""
    config: dict[str, Any] = yaml.safe_load(
        (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text()
    )["config"]
    return config


def lab_stack_values(stack: str, vcsim: Any) -> dict[str, Any]:
    """A committed lab stack's config with its vSphere keys pointed at this vCenter lab."""
    raw = dev_config_values(stack)
    raw["vsphere:vsphereServer"] = vcsim.host_port
    raw["vsphere:user"] = vcsim.user
    raw["vsphere:password"] = vcsim.password
    raw["gpu-mlaas:vsphereCaBundle"] = str(vcsim.ca_file)
    return raw


def as_runtime(values: Mapping[str, Any]) -> dict[str, str]:
    """Config as the Pulumi runtime hands it to a program: strings, objects as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def run_program(
    mock: mocks.Mocks,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    *,
    project: str = "gpu-mlaas",
    stack: str = "dev",
) -> dict[str, Any]:
    """Evaluate `__main__.py` once under `mock` with this config; the resolved stack outputs."""
    runtime_settings.ROOT.set(None)  # a fresh Stack resource for each run
    pulumi.runtime.set_mocks(mock, project=project, stack=stack, preview=False)
    pulumi.runtime.set_all_config(dict(config), secret_keys or [])
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def evaluate() -> pulumi.Output[Any]:
        runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__")
        root = runtime_settings.get_root_resource()
        assert root is not None
        outputs = root.outputs  # type: ignore[attr-defined]
        return pulumi.Output.all(**outputs).apply(exports.update)

    evaluate()
    return exports
