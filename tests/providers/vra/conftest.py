"""Fixtures for the vRA provider tests: credentials via env, a clean client registry per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from providers.vra import client as vra_client
from providers.vra import settings


@pytest.fixture
def creds(vra: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The reset lab, with its credentials in the VRA_* env vars and no cached clients."""
    monkeypatch.setenv(settings.ENV_USERNAME, vra.username)
    monkeypatch.setenv(settings.ENV_PASSWORD, vra.password)
    monkeypatch.setenv(settings.ENV_CA_BUNDLE, str(vra.ca_file))
    monkeypatch.delenv(settings.ENV_INSECURE, raising=False)
    settings.configure_from_stack({})  # no stack config: env vars only
    vra_client.close_all()
    vra.clear_requests()
    yield vra
    vra_client.close_all()
    settings.configure_from_stack({})  # no stack config: env vars only


@pytest.fixture
def endpoint(creds: Any) -> dict[str, Any]:
    return {"url": creds.url, "tenant": creds.tenant, "insecure": False}
