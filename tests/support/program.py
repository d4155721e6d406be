"""The real program (`__main__.py`) evaluated under `pulumi.runtime.set_mocks`, and the dev
stack's config it runs with. Shared by the unit tests, the lab engine and the benchmarks."""

from __future__ import annotations

import json
import runpy
import threading
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


class RecordingMocks(mocks.Mocks):
    """Answers like the real providers would, with the hosts of the dev stack's lab."""

    def __init__(self, host_cores: int = 16) -> None:
        self.resources: list[mocks.MockResourceArgs] = []
        self.host_cores = host_cores
        self._lock = threading.Lock()

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        with self._lock:
            self.resources.append(args)
        outs = dict(args.inputs)
        kind = args.typ.rsplit(":", 1)[-1]
        if kind == "HostGraphics":
            outs |= {"gpuCount": 1, "physicalCores": self.host_cores, "sockets": 2,
                     "memoryGb": 256, "graphicsType": "sharedDirect", "gpuModel": "Tesla P100",
                     "powerPolicy": "balanced", "sharedGraphicsActive": True,
                     "offeredProfiles": ["grid_p100-4q"], "hostProfile": "grid_p100-4q",
                     "otherModeGpus": [], "hostId": f"host-{args.name}"}
        elif kind == "CustomizationSpec":
            outs |= {"changeVersion": "1"}
        elif kind == "VgpuTemplate":
            outs |= {"templateName": f"{args.inputs['name']}-abc123", "templateId": "vm-1"}
        elif kind == "SoftwareComponent":
            outs |= {"softwareComponentId": f"sc-{args.name}"}
        elif kind == "Blueprint":
            outs |= {"blueprintId": f"bp-{args.name}"}
        elif kind == "CatalogService":
            outs |= {"serviceId": "svc-1"}
        elif kind == "CatalogItem":
            outs |= {"catalogItemId": f"item-{args.name}"}
        elif kind == "Entitlement":
            outs |= {"entitlementId": f"ent-{args.name}"}
        return f"{args.name}-id", outs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []

    def of_kind(self, kind: str) -> list[mocks.MockResourceArgs]:
        return [r for r in self.resources if r.typ.rsplit(":", 1)[-1] == kind]


class EchoMocks(mocks.Mocks):
    """Records every resource (by name and by type) and answers with its own inputs."""

    def __init__(self) -> None:
        self.resources: dict[str, mocks.MockResourceArgs] = {}
        self.seen: dict[str, dict[str, Any]] = {}  # type token -> inputs

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources[args.name] = args
        self.seen[args.typ] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


def install_echo_mocks() -> EchoMocks:
    """Fresh EchoMocks for one test (another module's mocks may have been installed since)."""
    recorder = EchoMocks()
    pulumi.runtime.set_mocks(recorder, project="gpu-mlaas", stack="test", preview=False)
    return recorder
