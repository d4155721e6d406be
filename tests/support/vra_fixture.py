"""pytest fixtures for the vRA lab: one lab process per session, a clean slate per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lab.vra import VraLab, start_vra
from providers.vra.documents import software_component_document
from providers.vra.models import SoftwareComponentInputs
from tests.support.wait import wait_until


@pytest.fixture(scope="session")
def vra_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VraLab]:
    """The session's vRA lab (HTTPS on a free loopback port; CA bundle at `.ca_file`)."""
    ca_file = tmp_path_factory.mktemp("vra-lab") / "ca.pem"
    with start_vra(ca_file=ca_file) as lab:
        yield lab


@pytest.fixture
def vra(vra_lab: VraLab) -> VraLab:
    """The session's lab back at its start-up seed: no objects, tokens, faults or request log."""
    vra_lab.restore_seed()
    return vra_lab


BLUEPRINT_DOCUMENTS = "/composition-service/api/blueprintdocuments"


class VraApi:
    """A minimal vRA client for lab tests: verified TLS, bearer token, raw responses."""

    def __init__(self, lab: VraLab) -> None:
        self.lab = lab
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 10)
        return self.http.request(
            method,
            self.lab.url + path,
            json=body,
            headers=headers,
            verify=str(self.lab.ca_file),
            **kwargs,
        )

    def login(self) -> str:
        response = self.call(
            "POST",
            "/identity/api/tokens",
            {
                "username": self.lab.username,
                "password": self.lab.password,
                "tenant": self.lab.tenant,
            },
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["id"]
        return self.token

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.call("PUT", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    def put_blueprint(self, body: dict[str, Any]) -> requests.Response:
        """Create or update a blueprint through its document route."""
        return self.put(f"{BLUEPRINT_DOCUMENTS}/{body['id']}", body)

    def source_machine(self, name: str = "ubuntu-gpu-template") -> dict[str, Any]:
        """The template's `{id, name, ...}` as a blueprint client looks it up."""
        response = self.get(
            "/iaas-proxy-provider/api/source-machines",
            params={
                "actionId": "FullClone",
                "platformTypeId": "Infrastructure.CatalogItem.Machine.Virtual.vSphere",
                "$filter": f"name eq '{name}'",
            },
        )
        assert response.status_code == 200, response.text
        (machine,) = response.json()["content"]
        result: dict[str, Any] = machine
        return result

    def wait_for_catalog_item(self, name: str, timeout: float = 10) -> dict[str, Any]:
        """Poll the admin list until the published blueprint's item shows up."""

        def listed() -> list[dict[str, Any]]:
            response = self.get(
                "/catalog-service/api/catalogItems", params={"$filter": f"name eq '{name}'"}
            )
            assert response.status_code == 200, response.text
            content: list[dict[str, Any]] = response.json()["content"]
            return content

        (item,) = wait_until(listed, f"catalog item {name!r}", timeout)
        return item


@pytest.fixture
def vra_api(vra: VraLab) -> Iterator[VraApi]:
    """A logged-in client of the freshly reset lab."""
    api = VraApi(vra)
    api.login()
    yield api
    api.http.close()


# -- sample documents in the shapes of docs/vra7-api.md ---------------------------------------


def software_component_body(
    component_id: str = "TFGpuMotd", properties: dict[str, str] | None = None
) -> dict[str, Any]:
    """A software component type as the provider writes it (providers/vra/documents.py)."""
    spec = SoftwareComponentInputs.model_validate(
        {
            "endpoint": {"url": "https://vra.lab", "tenant": "vsphere.local"},
            "name": component_id,
            "description": "pull the TensorFlow GPU image, write motd",
            "properties": properties or {"tf_image": "tensorflow/tensorflow:latest-gpu"},
            "installScript": '#!/bin/bash\nset -e\ndocker pull "$tf_image"\n',
        }
    )
    return software_component_document(component_id, spec)


def blueprint_body(
    blueprint_id: str,
    source_machine: dict[str, Any],
    software_id: str | None = None,
    *,
    name: str | None = None,
    max_instances: int = 4,
) -> dict[str, Any]:
    """A blueprint document (the JSON form of an exported blueprint YAML)."""
    machine = {
        "type": "Infrastructure.CatalogItem.Machine.Virtual.vSphere",
        "dependsOn": [],
        "data": {
            "action": {"fixed": "FullClone"},
            "provisioning_workflow": {"fixed": {"id": "CloneWorkflow", "label": "CloneWorkflow"}},
            "source_machine": {
                "fixed": {"id": source_machine["id"], "label": source_machine["name"]}
            },
            "source_machine_name": {"fixed": source_machine["name"]},
            "guest_customization_specification": "ml-linux",
            "cpu": {"default": 4, "min": 4, "max": 4},
            "memory": {"default": 16384, "min": 16384, "max": 16384},
            "storage": {"default": 100, "min": 100, "max": 100},
            "_cluster": {"default": 1, "min": 1, "max": max_instances},
            "disks": [{"capacity": 100, "id": 0, "is_clone": True, "label": "Hard disk 1",
                       "volumeId": 0}],
            "VMware.Memory.Reservation": "16384",
        },
    }
    components: dict[str, Any] = {"gpu_vm": machine}
    if software_id:
        components["tf_sw"] = {
            "type": software_id,
            "dependsOn": [],
            "data": {"host": "${_resource~gpu_vm}"},
        }
    return {
        "id": blueprint_id,
        "name": name or blueprint_id,
        "description": "",
        "status": "DRAFT",
        "properties": {},
        "components": components,
    }


def vra_error(response: requests.Response) -> dict[str, Any]:
    """The single error of a vRA error body, after checking the body has vRA's shape."""
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    assert set(errors[0]) == {"code", "source", "message", "systemMessage", "moreInfoUrl"}
    error: dict[str, Any] = errors[0]
    return error
