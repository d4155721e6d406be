"""The NVIDIA client configuration token (`gpu-mlaas:licensing.clientConfigToken`, a secret):
after a deploy, an unchanged second run and a token rotation against the labs, the token reaches
vRA as a secured software property (the lab holds it sealed, and proves it by its SHA-256), and is
found in plain text nowhere: resource inputs or outputs, serialized providers, stack outputs, any
log line, the lab's request log or server log, or what the lab stores and hands out."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from lab.vcsim import start_vcsim
from lab.vra import start_vra
from tests.reliability.test_secrets import _Collect, plain_occurrences
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine, stack_config
from tests.support.vra_fixture import VraApi

SOFTWARE = "/software-service/api/softwarecomponenttypes"


def _with_token(config: dict[str, str], token: str) -> dict[str, str]:
    return {**config, "gpu-mlaas:licensing": json.dumps({"clientConfigToken": token})}


def _stored(api: VraApi, item_ids: list[str]) -> list[Any]:
    """Everything the lab hands back about the catalog: components, blueprints, templates."""
    found: list[Any] = []
    for component in api.call("GET", SOFTWARE).json()["content"]:
        found.append(api.call("GET", f"{SOFTWARE}/{component['id']}").json())
    for blueprint in api.call("GET", "/composition-service/api/blueprints").json()["content"]:
        found.append(api.call(
            "GET", f"/composition-service/api/blueprintdocuments/{blueprint['id']}").json())
    for item_id in item_ids:
        found.append(api.call(
            "GET",
            f"/catalog-service/api/consumer/entitledCatalogItems/{item_id}/requests/template",
        ).json())
    return found


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("licensing")
    tokens = ["tok-" + secrets.token_urlsafe(24), "tok-" + secrets.token_urlsafe(24)]
    with start_vcsim(ca_dir=folder) as vcsim, \
            start_vra(ca_file=folder / "vra.pem", vcenter=vcsim) as vra:
        base, secret_keys = stack_config(vcsim, vra)
        secret_keys = [*secret_keys, "gpu-mlaas:licensing"]
        seen: dict[str, Any] = {"tokens": tokens}
        program_log = _Collect()
        root = logging.getLogger()
        level = root.level
        root.addHandler(program_log)
        root.setLevel(logging.DEBUG)
        try:
            with DynamicHost(config=_with_token(base, tokens[0]),
                             env={"GPU_MLAAS_LOG_LEVEL": "DEBUG"}) as host:
                engine = LabEngine(host=host)
                seen["outputs"] = engine.up(_with_token(base, tokens[0]), secret_keys)
                item_ids = list(seen["outputs"]["catalogItemIds"].values())
                api = VraApi(vra)
                api.login()
                seen["stored"] = _stored(api, item_ids)
                seen["sealed"] = vra.secured()
                seen["records"] = [{"inputs": r.inputs, "outputs": r.outputs}
                                   for r in engine.state.values()]
                seen["again"] = list(engine.operations)
                engine.up(_with_token(base, tokens[0]), secret_keys)
                seen["again"] = list(engine.operations)
                seen["rotated_outputs"] = engine.up(_with_token(base, tokens[1]), secret_keys)
                seen["rotated"] = list(engine.operations)
                seen["sealed_rotated"] = vra.secured()
                seen["stored"] += _stored(api, item_ids)
                seen["records"] += [{"inputs": r.inputs, "outputs": r.outputs}
                                    for r in engine.state.values()]
                seen["blobs"] = {r["inputs"]["__provider"] for r in seen["records"]}
                seen["requests"] = vra.requests()
                engine.destroy()
        finally:
            root.removeHandler(program_log)
            root.setLevel(level)
        seen["provider_log"] = host.stderr()
        seen["program_log"] = program_log.lines
        seen["lab_log"] = vra.server_log()
        yield seen


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_the_token_reached_vra_as_a_secured_property(lifecycle: dict[str, Any]) -> None:
    sealed = lifecycle["sealed"]
    assert len(sealed) == 2  # one software component per offering
    for fields in sealed.values():
        assert fields == {"nvidia_client_config_token": _digest(lifecycle["tokens"][0])}
    components = [doc for doc in lifecycle["stored"] if doc.get("containerFieldId")]
    for doc in components:
        field = next(f for f in doc["schema"]["fields"]
                     if f["id"] == "nvidia_client_config_token")
        assert field["dataType"]["typeId"] == "SECURE_STRING"
        facets = {facet["type"]: facet["value"]["value"] for facet in field["state"]["facets"]}
        assert facets["encrypted"] == {"type": "boolean", "value": True}
        assert facets["defaultValue"] == {"type": "secureString", "value": ""}  # as exports show
        script = doc["lifecycleTasks"][0]["script"]["scriptContent"]
        assert "1-configure-licensing.sh" in script and "2-install-container.sh" in script


def test_plain_licence_settings_follow_the_profile(lifecycle: dict[str, Any]) -> None:
    component = next(doc for doc in lifecycle["stored"] if doc.get("containerFieldId"))
    defaults = {
        f["id"]: f["state"]["facets"][0]["value"]["value"]["value"]
        for f in component["schema"]["fields"] if f["dataType"].get("typeId") == "STRING"
    }
    # grid_p100-4q: a Q-series vGPU, FeatureType 1, licensed as vWS.
    assert defaults["nvidia_feature_type"] == "1"
    assert defaults["nvidia_licensed_product"] == "NVIDIA RTX Virtual Workstation"


def test_a_second_run_changes_nothing_and_a_new_token_updates_the_components(
    lifecycle: dict[str, Any],
) -> None:
    assert {op for op, _ in lifecycle["again"]} == {"same"}
    updated = {key for op, key in lifecycle["rotated"] if op == "update"}
    assert {key.rsplit("::", 1)[-1] for key in updated} >= {
        "tensorflow-gpu-software", "pytorch-gpu-software"}
    for fields in lifecycle["sealed_rotated"].values():
        assert fields == {"nvidia_client_config_token": _digest(lifecycle["tokens"][1])}


@pytest.mark.parametrize("which", [0, 1])
def test_the_token_is_nowhere_in_plain_text(lifecycle: dict[str, Any], which: int) -> None:
    token = lifecycle["tokens"][which]
    for index, record in enumerate(lifecycle["records"]):
        assert list(plain_occurrences(record, token, f"resource{index}")) == []
    assert token not in json.dumps(lifecycle["outputs"], default=str)
    assert token not in json.dumps(lifecycle["rotated_outputs"], default=str)
    for blob in lifecycle["blobs"]:
        assert token.encode() not in base64.b64decode(blob)
    assert token not in json.dumps(lifecycle["stored"])
    assert token not in json.dumps(lifecycle["requests"])
    assert lifecycle["provider_log"] and lifecycle["program_log"]
    assert token not in lifecycle["provider_log"]
    assert token not in lifecycle["lab_log"]
    assert [line for line in lifecycle["program_log"] if token in line] == []


def test_the_token_is_a_secret_in_state(lifecycle: dict[str, Any]) -> None:
    # The software components' secured input (and the output of the same key) is kept as a
    # secret, as the engine keeps the values of a provider that does not accept secrets.
    secured = [record for record in lifecycle["records"]
               if "secureProperties" in record["inputs"]]
    assert len(secured) == 4  # two components, before and after the rotation
    for record in secured:
        assert set(record["inputs"]["secureProperties"]) == {
            "4dabf18193072939515e22adb298388d", "value"}
        assert set(record["outputs"]["secureProperties"]) == {
            "4dabf18193072939515e22adb298388d", "value"}
