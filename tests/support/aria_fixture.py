"""pytest fixtures for the Aria lab: one lab process per session, a clean slate per test, and
the Aria providers' credentials in the ARIA_* environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lab.aria import AriaLab, start_aria
from lab.vcsim import VcsimLab
from mlaas.settings import ARIA
from providers.aria import client as aria_client
from providers.aria import settings as aria_settings
from tests.support.program import as_runtime, lab_stack_values

STACK = "dev-aria"  # the committed lab stack of the Aria backend


@pytest.fixture(scope="session")
def aria_lab() -> Iterator[AriaLab]:
    with start_aria() as lab:
        yield lab


@pytest.fixture
def aria(aria_lab: AriaLab) -> AriaLab:
    """The session's lab back at its start-up seed: seeded objects only, no tokens or faults."""
    aria_lab.restore_seed()
    return aria_lab


@pytest.fixture
def aria_creds(aria: AriaLab, monkeypatch: pytest.MonkeyPatch) -> Iterator[AriaLab]:
    """The reset lab, its organization owner's credentials in ARIA_*, no cached clients."""
    monkeypatch.setenv(ARIA.username.env, aria.username)
    monkeypatch.setenv(ARIA.password.env, aria.password)
    monkeypatch.setenv(ARIA.ca_bundle.env, str(aria.ca_file))
    for setting in (ARIA.refresh_token, ARIA.domain, ARIA.insecure, ARIA.timeout):
        monkeypatch.delenv(setting.env, raising=False)
    aria_settings.reset_stack_settings()
    aria_client.close_all()
    yield aria
    aria_client.close_all()
    aria_settings.reset_stack_settings()


@pytest.fixture
def aria_endpoint(aria_creds: AriaLab) -> dict[str, Any]:
    return {"url": aria_creds.url, "insecure": False}


class AriaApi:
    """A minimal Aria client for lab tests: verified TLS, CSP login, raw responses."""

    def __init__(self, lab: AriaLab) -> None:
        self.lab = lab
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, *, version: str | None = "auto",
             **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        params = dict(kwargs.pop("params", {}))
        if version == "auto" and not path.startswith("/csp/"):
            params["apiVersion"] = aria_client.api_version(path)
        elif version not in (None, "auto"):
            params["apiVersion"] = version
        return self.http.request(method, self.lab.url + path, json=body, headers=headers,
                                 params=params, verify=str(self.lab.ca_file), timeout=10,
                                 **kwargs)

    def login(self, username: str | None = None, password: str | None = None) -> str:
        answer = self.call("POST", "/csp/gateway/am/api/login?access_token",
                           {"username": username or self.lab.username,
                            "password": password or self.lab.password})
        answer.raise_for_status()
        refresh = answer.json()["refresh_token"]
        bearer = self.call("POST", "/iaas/api/login", {"refreshToken": refresh})
        bearer.raise_for_status()
        self.token = str(bearer.json()["token"])
        return self.token


@pytest.fixture
def aria_api(aria: AriaLab) -> AriaApi:
    api = AriaApi(aria)
    api.login()
    return api


def aria_stack_config(vcsim: VcsimLab, aria: AriaLab) -> tuple[dict[str, str], list[str]]:
    """The dev-aria stack's config pointed at these labs, as the runtime hands it over."""
    raw = lab_stack_values(STACK, vcsim)
    raw["gpu-mlaas:aria"] |= {"url": aria.url, "caBundle": str(aria.ca_file),
                              "username": aria.username, "password": aria.password}
    return as_runtime(raw), ["vsphere:password", "gpu-mlaas:aria"]
