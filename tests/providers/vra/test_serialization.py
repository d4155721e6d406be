"""Providers survive the trip into state: serialize_provider + dill.loads, no password inside."""

from __future__ import annotations

import base64
import json
from typing import Any

import dill
import pytest
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from providers.vra import settings
from providers.vra.blueprint import BlueprintProvider
from providers.vra.catalog_item import CatalogItemProvider
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.entitlement import EntitlementProvider
from providers.vra.software_component import SoftwareComponentProvider
from tests.providers.vra.chain import Chain

PROVIDERS = [
    SoftwareComponentProvider,
    BlueprintProvider,
    CatalogServiceProvider,
    CatalogItemProvider,
    EntitlementProvider,
]


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.__name__)
def test_provider_round_trips_by_reference_without_secrets(
    cls: type[ResourceProvider], endpoint: dict[str, Any], creds: Any
) -> None:
    provider = cls()
    config = {
        settings.CONFIG_KEY: json.dumps({"username": creds.username, "password": creds.password})
    }
    provider.configure(ConfigureRequest(Config(config, "gpu-mlaas")))
    Chain(endpoint).up()  # clients, sessions and tokens now exist in this process
    blob = serialize_provider(provider)
    raw = base64.b64decode(blob)
    assert creds.password.encode() not in raw
    assert creds.username.encode() not in raw
    assert cls.__module__.encode() in raw  # stored by reference: module path + class name
    assert len(raw) < 400
    loaded = dill.loads(raw)
    assert type(loaded) is cls
    assert loaded.serialize_as_secret_always is False


def test_a_loaded_provider_works(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()
    for name, (provider, id_, outs) in chain.created.items():
        loaded = dill.loads(base64.b64decode(serialize_provider(provider)))
        assert loaded.read(id_, outs).id == id_, name
