"""The shared vRA client: settings, TLS, tokens, paging, filters, errors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from mlaas.settings import VRA
from providers.vra import client as vra_client
from providers.vra import settings
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.client import VraError, client_for, eq_filter
from providers.vra.documents import service_document
from providers.vra.settings import Endpoint, VraSettingsError
from tests.providers.vra.chain import Chain, create, service_inputs

TOKENS = "/identity/api/tokens"
SOURCE_MACHINES = "/iaas-proxy-provider/api/source-machines"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def token_posts(lab: Any) -> int:
    return sum(1 for r in lab.requests() if (r["method"], r["path"]) == ("POST", TOKENS))


def test_one_token_per_process_for_a_whole_stack(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()
    chain.down()
    assert token_posts(creds) == 1


def test_concurrent_calls_share_one_login(endpoint: dict[str, Any], creds: Any) -> None:
    # The provider host runs four calls at once; they must not each log in.
    names = [f"Service {n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda n: create(CatalogServiceProvider(), service_inputs(endpoint, name=n)), names
            )
        )
    assert creds.state()["services"]["count"] == 8
    assert token_posts(creds) == 1


def test_expired_token_is_renewed_once_and_the_call_succeeds(
    endpoint: dict[str, Any], creds: Any
) -> None:
    api = client_for(Endpoint.from_input(endpoint))
    list(api.iter_list(SOURCE_MACHINES))
    creds.inject(method="GET", pathPrefix=SOURCE_MACHINES, expireToken=True)
    assert [m["name"] for m in list(api.iter_list(SOURCE_MACHINES))] == ["ubuntu-gpu-template"]
    log = [(r["method"], r["path"], r["status"]) for r in creds.requests()]
    assert log[-3:] == [
        ("GET", SOURCE_MACHINES, 401),
        ("POST", TOKENS, 200),
        ("GET", SOURCE_MACHINES, 200),
    ]


def test_token_is_renewed_before_it_expires(endpoint: dict[str, Any], creds: Any) -> None:
    creds.set_seed(tokenLifetimeSeconds=1)
    api = client_for(Endpoint.from_input(endpoint))
    list(api.iter_list(SOURCE_MACHINES))
    time.sleep(1.2)  # past the token's `expires`
    list(api.iter_list(SOURCE_MACHINES))
    statuses = [(r["method"], r["path"], r["status"]) for r in creds.requests()]
    assert token_posts(creds) == 2
    assert all(status != 401 for _, _, status in statuses)


def test_tokens_are_revoked_at_exit(endpoint: dict[str, Any], creds: Any) -> None:
    code = (
        "from providers.vra.client import client_for\n"
        "from providers.vra.settings import Endpoint\n"
        f"list(client_for(Endpoint.from_input({endpoint!r})).iter_list({SOURCE_MACHINES!r}))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True, timeout=60)
    methods = [
        (r["method"], r["path"].startswith(TOKENS + "/"), r["status"]) for r in creds.requests()
    ]
    assert methods[-1] == ("DELETE", True, 204)
    assert creds.state()["tokens"]["count"] == 0


def test_bad_password_fails_with_vra_message_and_no_secret(
    endpoint: dict[str, Any], creds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VRA.password.env, "wrong-Secret-42")
    with pytest.raises(VraError) as failed:
        list(client_for(Endpoint.from_input(endpoint)).iter_list(SOURCE_MACHINES))
    assert failed.value.status == 401 and failed.value.code == 90135
    assert "POST /identity/api/tokens" in str(failed.value)
    assert "wrong-Secret-42" not in str(failed.value)


def test_missing_credentials_name_the_key_and_env_var(
    endpoint: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VRA.username.env)
    with pytest.raises(VraSettingsError, match="gpu-mlaas:vra.*VRA_USERNAME"):
        client_for(Endpoint.from_input(endpoint))
    monkeypatch.setenv(VRA.username.env, "someone@vsphere.local")
    monkeypatch.delenv(VRA.password.env)
    with pytest.raises(VraSettingsError, match="gpu-mlaas:vra.*VRA_PASSWORD"):
        client_for(Endpoint.from_input(endpoint))


def test_stack_config_from_configure_is_used(
    endpoint: dict[str, Any], creds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (VRA.username.env, VRA.password.env, VRA.ca_bundle.env):
        monkeypatch.delenv(name)
    value = {
        "url": creds.url,
        "tenant": creds.tenant,
        "username": creds.username,
        "password": creds.password,
        "caBundle": str(creds.ca_file),
    }
    config = Config({settings.CONFIG_KEY: json.dumps(value)}, "gpu-mlaas")
    provider = CatalogServiceProvider()
    provider.configure(ConfigureRequest(config))
    assert provider.__dict__ == {}  # nothing from the config sits on the instance
    _, outs = create(provider, service_inputs(endpoint))
    assert outs["serviceId"]


def test_bad_stack_config_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config({settings.CONFIG_KEY: "{not json"}, "gpu-mlaas")
    with pytest.raises(VraSettingsError, match="gpu-mlaas:vra"):
        CatalogServiceProvider().configure(ConfigureRequest(config))


def test_tls_is_verified_unless_turned_off(
    endpoint: dict[str, Any],
    creds: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(VRA.ca_bundle.env)
    with pytest.raises(VraError, match="CERTIFICATE_VERIFY_FAILED"):
        list(client_for(Endpoint.from_input(endpoint)).iter_list(SOURCE_MACHINES))
    vra_client.close_all()
    with caplog.at_level(logging.WARNING, logger="providers.vra.client"):
        insecure = client_for(Endpoint.from_input({**endpoint, "insecure": True}))
        assert list(insecure.iter_list(SOURCE_MACHINES))
    assert "TLS verification is OFF" in caplog.text


def test_paging_follows_total_pages(
    endpoint: dict[str, Any], creds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        creds.add_source_machine(f"extra-template-{n}")
    monkeypatch.setattr(vra_client, "PAGE_LIMIT", 2)
    api = client_for(Endpoint.from_input(endpoint))
    names = [m["name"] for m in list(api.iter_list(SOURCE_MACHINES))]
    assert len(names) == 5 and len(set(names)) == 5
    pages = [r["query"] for r in creds.requests() if r["path"] == SOURCE_MACHINES]
    assert len(pages) == 3 and "page=3" in pages[-1]


def test_filters_quote_and_match(endpoint: dict[str, Any], creds: Any) -> None:
    assert eq_filter("name", "Bob's ML") == "name eq 'Bob''s ML'"
    _, outs = create(CatalogServiceProvider(), service_inputs(endpoint, name="Bob's ML"))
    create(CatalogServiceProvider(), service_inputs(endpoint, name="Bob's ML 2"))
    api = client_for(Endpoint.from_input(endpoint))
    found = api.find_one("/catalog-service/api/services", "name", "Bob's ML")
    assert found is not None and found["id"] == outs["serviceId"]
    listed = list(api.iter_list("/catalog-service/api/services",
                                filter_=eq_filter("name", "Bob's ML 2")))
    assert [service["name"] for service in listed] == ["Bob's ML 2"]


def test_errors_quote_vra_code_message_method_and_path(
    endpoint: dict[str, Any], creds: Any
) -> None:
    api = client_for(Endpoint.from_input(endpoint))
    with pytest.raises(VraError) as failed:
        api.request("GET", "/software-service/api/softwarecomponenttypes/Nope", ok=(200,))
    text = str(failed.value)
    assert "GET /software-service/api/softwarecomponenttypes/Nope" in text
    assert "HTTP 404" in text and failed.value.code is not None
    assert failed.value.message in text


def test_password_never_in_client_repr_or_settings_repr(endpoint: dict[str, Any]) -> None:
    credentials = settings.credentials_for(Endpoint.from_input(endpoint))
    assert os.environ[VRA.password.env] not in repr(credentials)


def test_create_adopts_when_vra_already_has_it(endpoint: dict[str, Any], creds: Any) -> None:
    # What a retried POST meets when the first one was stored but its answer was lost.
    api = client_for(Endpoint.from_input(endpoint))
    path = "/catalog-service/api/services"
    body = service_document("Machine Learning", "", creds.tenant)
    first = api.create(path, body, lambda: api.find_one(path, "name", "Machine Learning"))
    again = api.create(path, body, lambda: api.find_one(path, "name", "Machine Learning"))
    assert again["id"] == first["id"]
    assert creds.state()["services"]["count"] == 1
    statuses = [
        r["status"] for r in creds.requests() if r["method"] == "POST" and r["path"] == path
    ]
    assert statuses == [201, 409]
