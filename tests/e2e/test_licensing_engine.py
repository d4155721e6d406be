"""The acceptance of NVIDIA licensing on the real engine: the dev stack with the client
configuration token set as a secret (`pulumi config set --secret --path
gpu-mlaas:licensing.clientConfigToken`) deploys, refreshes and re-runs with no change, and the
token is found in plain text nowhere: the backend's state files (history and backups
included), the stack's outputs, the engine's events, the vRA lab's log and request log, or what
the vRA lab stores and hands out (the lab proves it holds the token sealed by its SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.reliability.test_secrets_licensing import _stored
from tests.support.vra_fixture import VraApi

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)
TOKEN = "tok-" + secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab]
) -> Iterator[dict[str, Any]]:
    from pulumi import automation as auto

    vcsim, vra = labs
    state_dir = tmp_path_factory.mktemp("licensing-state")
    stack = EngineStack("licensing", vcsim, vra, state_dir)
    try:
        stack.stack.set_config("gpu-mlaas:licensing.clientConfigToken",
                               auto.ConfigValue(TOKEN, secret=True), path=True)
        result = stack.up()
        events = list(stack.events)
        # A refresh reads every object back and a second up must change nothing: the token
        # stays a secret through both.
        stack.stack.refresh(expect_no_changes=True)
        stack.up(expect_no_changes=True)
        api = VraApi(vra)
        api.login()
        item_ids = list(result.outputs["catalogItemIds"].value.values())
        yield {
            "outputs": {key: out.value for key, out in result.outputs.items()},
            # What the backend keeps: state, its history and backups. (The Automation API's
            # export_stack passes --show-secrets, so it would show every secret decrypted.)
            "state": {str(path.relative_to(state_dir)): path.read_text(errors="replace")
                      for path in sorted(state_dir.rglob("*")) if path.is_file()},
            "events": [str(event) for event in events + stack.events],
            "stack_file": stack.stack_file.read_text(),
            "stored": _stored(api, item_ids),
            "sealed": vra.secured(),
            "requests": vra.requests(),
            "labs_log": vra.server_log(),
        }
    finally:
        stack.close()


def test_the_stack_deploys_with_the_token_sealed_in_vra(deployed: dict[str, Any]) -> None:
    assert set(deployed["outputs"]["catalogItemIds"]) == {"tensorflow-gpu", "pytorch-gpu"}
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    assert list(deployed["sealed"].values()) == [{"nvidia_client_config_token": digest}] * 2
    # The state holds the token as a secret (ciphertext), the stack file as `secure:`.
    current = json.loads(deployed["state"][".pulumi/stacks/gpu-mlaas/licensing.json"])
    components = [r for r in current["checkpoint"]["latest"]["resources"]
                  if r["type"].endswith("vra:SoftwareComponent")]
    assert len(components) == 2
    for resource in components:
        for side in ("inputs", "outputs"):
            kept = resource[side]["secureProperties"]["nvidia_client_config_token"]
            assert kept["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
            assert set(kept) == {"4dabf18193072939515e22adb298388d", "ciphertext"}
    assert "clientConfigToken:\n      secure: " in deployed["stack_file"]


@pytest.mark.parametrize("where", ["state", "outputs", "events", "stack_file", "stored",
                                   "requests", "labs_log"])
def test_the_token_is_nowhere_in_plain_text(deployed: dict[str, Any], where: str) -> None:
    text = json.dumps(deployed[where], default=str)
    assert text and TOKEN not in text
