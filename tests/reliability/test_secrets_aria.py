"""Secrets scan for the Aria backend: after a full dev-aria lifecycle, the Aria password (and
no bearer or refresh token) appears in no serialized provider, resource input or output, stack
output, or log line."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from lab.aria import start_aria
from lab.vcsim import start_vcsim
from tests.reliability.test_secrets import plain_occurrences
from tests.support.aria_fixture import STACK, aria_stack_config
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("secrets-aria")
    password = "aria-" + secrets.token_urlsafe(12)
    with start_vcsim(ca_dir=folder) as vcsim, start_aria(vcenter=vcsim) as aria:
        users = aria.seed["users"]
        aria.set_seed(users=[{**users[0], "password": password}, *users[1:]])
        config, secret_keys = aria_stack_config(vcsim, aria)
        seen: dict[str, Any] = {"password": password}
        with DynamicHost(config=config, env={"GPU_MLAAS_LOG_LEVEL": "DEBUG"}) as host:
            engine = LabEngine(host=host, stack=STACK)
            seen["outputs"] = engine.up(config, secret_keys)
            seen["records"] = [
                {"inputs": r.inputs, "outputs": r.outputs} for r in engine.state.values()
            ]
            engine.destroy()
            seen["blobs"] = {r["inputs"]["__provider"] for r in seen["records"]}
        seen["provider_log"] = host.stderr()
        yield seen


def test_the_lifecycle_really_ran_and_logged(lifecycle: dict[str, Any]) -> None:
    assert len(lifecycle["outputs"]["catalogItemIds"]) == 2
    assert "INFO providers.aria.client: Aria" in lifecycle["provider_log"]


def test_no_password_in_state_outputs_or_providers(lifecycle: dict[str, Any]) -> None:
    password = lifecycle["password"]
    for index, record in enumerate(lifecycle["records"]):
        assert list(plain_occurrences(record, password, f"resource{index}")) == []
    assert password not in json.dumps(lifecycle["outputs"])
    for blob in lifecycle["blobs"]:
        assert password.encode() not in base64.b64decode(blob)


def test_no_password_or_token_in_logs(lifecycle: dict[str, Any]) -> None:
    log = lifecycle["provider_log"]
    assert lifecycle["password"] not in log
    assert "Bearer " not in log and "refresh_token" not in log and "refreshToken" not in log
