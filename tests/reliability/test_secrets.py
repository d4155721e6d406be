"""Secrets scan: after a full lifecycle against both labs, neither password appears in any
serialized provider, resource input or output, stack output, or log line."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from lab.vcsim import start_vcsim
from lab.vra import start_vra
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine, stack_config

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"  # the SDK's marker for a secret value


class _Collect(logging.Handler):
    """Keeps every formatted record, arguments and exception text included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


def plain_occurrences(value: Any, needle: str, path: str = "") -> Iterator[str]:
    """Paths where `needle` appears outside a secret wrapper."""
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return
        for key, child in value.items():
            yield from plain_occurrences(child, needle, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from plain_occurrences(child, needle, f"{path}[{index}]")
    elif isinstance(value, str) and needle in value:
        yield path


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("secrets")
    vcsim_password = "vc-" + secrets.token_urlsafe(12)
    vra_password = "vra-" + secrets.token_urlsafe(12)
    with start_vcsim(ca_dir=folder, password=vcsim_password) as vcsim, \
            start_vra(ca_file=folder / "vra.pem", vcenter=vcsim) as vra:
        vra.set_seed(users=[{"username": vra.username, "password": vra_password}])
        config, secret_keys = stack_config(vcsim, vra)
        seen: dict[str, Any] = {"passwords": (vcsim_password, vra_password)}
        # Every log record of this process (the program, the engine, the labs' servers), at
        # DEBUG, for the whole lifecycle: a test's own caplog would see none of them.
        program_log = _Collect()
        root = logging.getLogger()
        level = root.level
        root.addHandler(program_log)
        root.setLevel(logging.DEBUG)
        with DynamicHost(config=config, env={"GPU_MLAAS_LOG_LEVEL": "DEBUG"}) as host:
            engine = LabEngine(host=host)
            seen["outputs"] = engine.up(config, secret_keys)
            seen["records"] = [
                {"inputs": r.inputs, "outputs": r.outputs} for r in engine.state.values()
            ]
            seen["mocked"] = dict(engine.mocked)
            seen["second_outputs"] = engine.up(config, secret_keys)
            engine.destroy()
            seen["blobs"] = {r["inputs"]["__provider"] for r in seen["records"]}
        root.removeHandler(program_log)
        root.setLevel(level)
        seen["provider_log"] = host.stderr()
        seen["program_log"] = program_log.lines
        yield seen


def test_the_lifecycle_really_ran(lifecycle: dict[str, Any]) -> None:
    assert len(lifecycle["records"]) >= 10
    assert lifecycle["outputs"]["catalogItemIds"]
    # both providers logged (logins, token requests), at DEBUG level, so the scan sees them
    assert "INFO providers.vra.client: vRA" in lifecycle["provider_log"]
    assert "INFO providers.vsphere.client: logged in" in lifecycle["provider_log"]


@pytest.mark.parametrize("which", ["vcenter", "vra"])
def test_no_password_in_state_outputs_or_providers(lifecycle: dict[str, Any], which: str) -> None:
    password = lifecycle["passwords"][0 if which == "vcenter" else 1]
    for index, record in enumerate(lifecycle["records"]):
        assert list(plain_occurrences(record, password, f"resource{index}")) == []
    for outputs in (lifecycle["outputs"], lifecycle["second_outputs"]):
        assert password not in json.dumps(outputs)
    for blob in lifecycle["blobs"]:
        assert password.encode() not in base64.b64decode(blob)
    for key, inputs in lifecycle["mocked"].items():
        assert list(plain_occurrences(inputs, password, key)) == []


@pytest.mark.parametrize("which", ["vcenter", "vra"])
def test_no_password_in_logs(lifecycle: dict[str, Any], which: str) -> None:
    password = lifecycle["passwords"][0 if which == "vcenter" else 1]
    assert lifecycle["provider_log"], "the provider host logged nothing; the scan would be empty"
    assert lifecycle["program_log"], "this process logged nothing; the scan would be empty"
    assert password not in lifecycle["provider_log"]
    assert [line for line in lifecycle["program_log"] if password in line] == []


def test_vcenter_password_reaches_no_resource_input(lifecycle: dict[str, Any]) -> None:
    # The vSphere providers read it from the stack config in configure(); since the program
    # declares no pulumi-vsphere provider, no resource carries it, not even encrypted.
    assert [key for key in lifecycle["mocked"] if not key.startswith("gpu-mlaas:index:")] == []
    for record in lifecycle["records"]:
        assert SECRET_SIGNATURE not in json.dumps(record["inputs"], default=str)
