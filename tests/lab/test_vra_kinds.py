"""vRA lab: the rules every stored kind shares (look-up, uniqueness, path ids, read routes),
checked once per kind, since one piece of code (`lab.vra.kinds`) serves all four."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.lab.test_vra_catalog import entitlement_body, service_body
from tests.support.vra_fixture import VraApi, software_component_body, vra_error

Body = Callable[[VraApi, str, str], dict[str, Any]]


def _software(api: VraApi, key: str, name: str) -> dict[str, Any]:
    return software_component_body(key) | {"name": name}


def _service(api: VraApi, key: str, name: str) -> dict[str, Any]:
    return service_body(name) | {"id": key}


def _entitlement(api: VraApi, key: str, name: str) -> dict[str, Any]:
    return entitlement_body(api, None, name) | {"id": key}


def _create(api: VraApi, base: str, body: Body, *names: str) -> None:
    """One document per name, its id the name capitalised ("first": "First")."""
    for name in names:
        assert api.post(base, body(api, name.capitalize(), name)).status_code == 201


KINDS = [
    pytest.param("/software-service/api/softwarecomponenttypes", _software, id="software"),
    pytest.param("/catalog-service/api/services", _service, id="service"),
    pytest.param("/catalog-service/api/entitlements", _entitlement, id="entitlement"),
]


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_create_with_a_taken_id_or_name_is_409(vra_api: VraApi, base: str, body: Body) -> None:
    _create(vra_api, base, body, "first")
    same_id = vra_api.post(base, body(vra_api, "First", "other"))
    assert same_id.status_code == 409
    assert "'First' already exists" in vra_error(same_id)["systemMessage"]
    same_name = vra_api.post(base, body(vra_api, "Second", "first"))
    assert same_name.status_code == 409
    assert "with name 'first' already exists" in vra_error(same_name)["systemMessage"]
    assert [d["id"] for d in vra_api.get(base).json()["content"]] == ["First"]


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_update_keeps_names_unique_but_may_keep_its_own(
    vra_api: VraApi, base: str, body: Body
) -> None:
    _create(vra_api, base, body, "first", "second")
    taken = vra_api.put(f"{base}/Second", body(vra_api, "Second", "first"))
    assert taken.status_code == 409
    assert vra_api.get(f"{base}/Second").json()["name"] == "second"
    own = vra_api.put(f"{base}/Second", body(vra_api, "Second", "second") | {"description": "x"})
    assert own.status_code == 200, own.text
    assert vra_api.get(f"{base}/Second").json()["description"] == "x"


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_update_names_a_wrong_path_id_or_a_missing_one(
    vra_api: VraApi, base: str, body: Body
) -> None:
    _create(vra_api, base, body, "first")
    mismatch = vra_api.put(f"{base}/First", body(vra_api, "Other", "first"))
    assert mismatch.status_code == 400
    assert "'Other' does not match the path 'First'" in vra_error(mismatch)["systemMessage"]
    missing = vra_api.put(f"{base}/Missing", body(vra_api, "Missing", "missing"))
    assert missing.status_code == 404
    assert vra_error(missing)["systemMessage"].endswith(": Missing")


@pytest.mark.parametrize(("base", "body"), KINDS)
def test_read_routes_list_and_get_the_stored_documents(
    vra_api: VraApi, base: str, body: Body
) -> None:
    _create(vra_api, base, body, "first", "second")
    page = vra_api.get(base, params={"$filter": "name eq 'second'"}).json()
    assert [d["id"] for d in page["content"]] == ["Second"]
    assert vra_api.get(f"{base}/First").json()["name"] == "first"
    gone = vra_api.get(f"{base}/Nothing")
    assert gone.status_code == 404
    assert vra_error(gone)["systemMessage"].startswith("Unable to find the specified ")
