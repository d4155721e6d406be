"""Fixtures for the vRA provider tests: credentials via env, a clean client registry per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlaas.settings import VRA
from providers.vra import client as vra_client
from providers.vra import settings


@pytest.fixture
def creds(vra: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The reset lab, with its credentials in the VRA_* env vars and no cached clients."""
    monkeypatch.setenv(VRA.username.env, vra.username)
    monkeypatch.setenv(VRA.password.env, vra.password)
    monkeypatch.setenv(VRA.ca_bundle.env, str(vra.ca_file))
    monkeypatch.delenv(VRA.insecure.env, raising=False)
    settings.configure_from_stack({})  # no stack config: env vars only
    vra_client.close_all()
    vra.clear_requests()
    yield vra
    vra_client.close_all()
    settings.configure_from_stack({})  # no stack config: env vars only


@pytest.fixture
def endpoint(creds: Any) -> dict[str, Any]:
    return {"url": creds.url, "tenant": creds.tenant, "insecure": False}
