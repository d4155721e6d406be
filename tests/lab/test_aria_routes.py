"""The Aria lab serves VMware's published operations only, and holds requests and its own
answers to their schemas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.aria import AriaLab, spec
from lab.aria.app import create_app
from lab.aria.handlers import ROUTES
from lab.aria.openapi.extract import OPERATIONS
from providers.aria.client import API_VERSIONS
from tests.support.aria_fixture import AriaApi

ROOT = Path(__file__).resolve().parents[2]


def test_every_served_route_is_a_published_operation_and_back() -> None:
    create_app()  # the app registers every handler
    published = {(op.method, op.template) for op in spec.operations()}
    assert set(ROUTES) == published
    wanted = {(m.upper(), p) for ops in OPERATIONS.values() for p, m in ops}
    assert published == wanted


def test_the_stored_descriptions_name_their_source() -> None:
    for name in spec.FILES:
        document = json.loads((spec.OPENAPI_DIR / name).read_text())
        assert document["swagger"] == "2.0"
        assert document["x-source"].startswith("github.com/vmware/vra-sdk-go/blob/")
        assert document["x-source"].endswith(f"/swagger/{name}")


@pytest.mark.skipif(not os.environ.get("VRA_SDK_GO"),
                    reason="set VRA_SDK_GO to a checkout of github.com/vmware/vra-sdk-go")
def test_the_stored_descriptions_equal_a_fresh_extract(tmp_path: Path) -> None:
    """Independent check: regenerate the subset from VMware's published files and compare."""
    copy = tmp_path / "openapi"
    copy.mkdir()
    script = (spec.OPENAPI_DIR / "extract.py").read_text().replace(
        "HERE = Path(__file__).resolve().parent", f"HERE = Path({str(copy)!r})")
    (tmp_path / "extract.py").write_text(script)
    subprocess.run([sys.executable, str(tmp_path / "extract.py"), os.environ["VRA_SDK_GO"]],
                   check=True, cwd=ROOT)
    for name in spec.FILES:
        fresh = json.loads((copy / name).read_text())
        stored = json.loads((spec.OPENAPI_DIR / name).read_text())
        assert {k: v for k, v in fresh.items() if k != "x-source"} == {
            k: v for k, v in stored.items() if k != "x-source"}


def test_the_providers_api_versions_are_the_published_ones() -> None:
    assert API_VERSIONS == spec.api_versions()


def test_unknown_paths_and_methods_are_refused(aria_api: AriaApi) -> None:
    assert aria_api.call("GET", "/iaas/api/machines").status_code == 404
    assert aria_api.call("GET", "/catalog/api/admin/entitlements").status_code == 404
    assert aria_api.call("PUT", "/iaas/api/projects").status_code == 405
    # Unreleasing exists; deleting a version does not.
    answer = aria_api.call("DELETE", "/blueprint/api/blueprints/x/versions/v1")
    assert answer.status_code == 405


def test_api_version_is_required_where_the_description_has_one(aria_api: AriaApi) -> None:
    missing = aria_api.call("GET", "/iaas/api/projects", version=None)
    assert missing.status_code == 400 and "apiVersion" in missing.json()["message"]
    assert aria_api.call("GET", "/iaas/api/projects", version="latest").status_code == 400
    assert aria_api.call("GET", "/iaas/api/projects").status_code == 200


def test_undeclared_query_parameters_are_refused(aria_api: AriaApi) -> None:
    # The published policy list has no `typeId` filter.
    answer = aria_api.call("GET", "/policy/api/policies",
                           params={"typeId": "com.vmware.policy.catalog.entitlement"})
    assert answer.status_code == 400 and "typeId" in answer.json()["message"]
    # ...and `dryRun` is required on a policy POST.
    answer = aria_api.call("POST", "/policy/api/policies", {"typeId": "x"})
    assert answer.status_code == 400 and "dryRun" in answer.json()["message"]


def test_bodies_are_checked_against_the_schema(aria_api: AriaApi) -> None:
    answer = aria_api.call("POST", "/iaas/api/projects", {"description": "no name"})
    assert answer.status_code == 400
    assert "'name' is a required property" in answer.json()["message"]
    answer = aria_api.call("POST", "/blueprint/api/blueprints/x/versions", {"release": "yes"})
    assert answer.status_code == 400 and "'yes' is not of type 'boolean'" in answer.text
    assert aria_api.call("POST", "/iaas/api/login", {"refreshToken": 1}).status_code == 400


def test_answers_match_the_response_schemas(aria_api: AriaApi) -> None:
    operations = {(op.method, op.template): op for op in spec.operations()}
    project = aria_api.call("GET", "/iaas/api/projects").json()
    validator = operations[("GET", "/iaas/api/projects")].responses[200]
    assert validator is not None and spec.problems(validator, project) == []
    # The checker is not blind: a project without `id` breaks the published schema.
    broken = {"content": [{"name": "x", "_links": {}}]}
    assert spec.problems(validator, broken)


def test_login_needs_known_credentials_and_tokens_expire(aria: AriaLab) -> None:
    api = AriaApi(aria)
    wrong = api.call("POST", "/csp/gateway/am/api/login?access_token",
                     {"username": aria.username, "password": "nope"})
    assert wrong.status_code == 403
    wrong_domain = api.call("POST", "/csp/gateway/am/api/login?access_token",
                            {"username": aria.username, "password": aria.password,
                             "domain": "other"})
    assert wrong_domain.status_code == 403
    assert api.call("GET", "/iaas/api/projects").status_code == 401
    assert api.call("POST", "/iaas/api/login", {"refreshToken": "made-up"}).status_code == 400
    api.login()
    aria.inject(pathPrefix="/iaas/api/projects", expireToken=True)
    assert api.call("GET", "/iaas/api/projects").status_code == 401
