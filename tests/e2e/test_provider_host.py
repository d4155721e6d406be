"""What the engine test cannot show: one vCenter session per provider process and none left
behind (counted around a provider host of the test's own), and committed stack files that hold
no plain password. The lifecycle itself runs on the real engine (test_automation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.support.dynamic_host import PROJECT_ROOT, DynamicHost
from tests.support.engine import stack_config


def test_provider_host_left_no_vcenter_session(labs: tuple[VcsimLab, VraLab]) -> None:
    # Runs after the module's provider host has stopped (fixture teardown order is not enough
    # here, so this test owns a host of its own): one process, one session, none left behind.
    from lab.vcsim.client import open_sessions

    vcsim, vra = labs
    config, _ = stack_config(vcsim, vra)
    before = len(open_sessions(vcsim))
    with DynamicHost(config=config) as host:
        from providers.vsphere.host_graphics import HostGraphicsProvider
        from tests.support.dynamic_host import provider_blob, urn

        blob = provider_blob(HostGraphicsProvider())
        for name in ("DC0_C0_H0", "DC0_C0_H1"):
            props = {"__provider": blob, "hostName": name, "pool": "p",
                     "vgpuProfile": "grid_p100-4q", "assignmentPolicy": "performance"}
            token = urn("pulumi-python:dynamic/vsphere:HostGraphics", name)
            inputs, _ = host.check(token, {}, props)
            host.create(token, inputs)
        assert len(open_sessions(vcsim)) == before + 1
    assert len(open_sessions(vcsim)) == before


def plain_passwords(value: Any, path: str) -> Iterator[str]:
    """Key paths of password values that are not `{secure: ...}`."""
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}"
            if "password" in str(key).lower() and not (
                isinstance(child, dict) and set(child) == {"secure"}
            ):
                yield where
            yield from plain_passwords(child, where)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from plain_passwords(child, f"{path}[{index}]")


def test_the_password_scan_finds_plain_passwords_and_passes_secrets() -> None:
    config = {"vsphere:password": "hunter2", "gpu-mlaas:vra": {"password": {"secure": "v1:x"}},
              "gpu-mlaas:other": [{"adminPassword": "p"}]}
    assert list(plain_passwords(config, "f")) == [
        "f.vsphere:password", "f.gpu-mlaas:other[0].adminPassword"]


def test_committed_stack_files_hold_no_plain_password() -> None:
    stack_files = sorted(PROJECT_ROOT.glob("Pulumi.*.yaml"))
    assert {"Pulumi.dev.yaml", "Pulumi.example.yaml"} <= {path.name for path in stack_files}
    for stack_file in stack_files:
        config = yaml.safe_load(stack_file.read_text()).get("config", {})
        assert list(plain_passwords(config, stack_file.name)) == []
