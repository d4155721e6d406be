"""The Aria client: one token per process, login paths, renewal, TLS, secrets, settings."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from lab.aria import AriaLab
from mlaas.settings import ARIA
from providers.aria import client as aria_client
from providers.aria import settings
from providers.aria.client import AriaError, client_for
from providers.base import poll
from tests.providers.aria.chain import Chain
from tests.support.aria_fixture import AriaApi

ARIA_SETTINGS = (ARIA.username, ARIA.password, ARIA.refresh_token, ARIA.domain, ARIA.ca_bundle,
                 ARIA.insecure, ARIA.timeout)


def _logins(aria: AriaLab) -> tuple[int, int]:
    log = aria.requests()
    csp = sum(1 for r in log if r["path"].startswith("/csp/"))
    iaas = sum(1 for r in log if r["path"] == "/iaas/api/login")
    return csp, iaas


def test_one_token_for_a_whole_deploy(aria_endpoint: dict[str, Any], aria_creds: AriaLab) -> None:
    aria_creds.clear_requests()
    Chain(aria_endpoint).deploy()
    assert _logins(aria_creds) == (1, 1)
    # Every call names its service's apiVersion, except the one operation published without.
    for entry in aria_creds.requests():
        if entry["path"].startswith("/csp/") or (
            entry["method"] == "GET" and "/versions/" in entry["path"]
        ):
            continue
        assert "apiVersion=" in entry["query"], entry


def test_a_configured_refresh_token_needs_no_password(
    aria_creds: AriaLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh = AriaApi(aria_creds).call(
        "POST", "/csp/gateway/am/api/login?access_token",
        {"username": aria_creds.username, "password": aria_creds.password},
    ).json()["refresh_token"]
    monkeypatch.delenv(ARIA.username.env)
    monkeypatch.delenv(ARIA.password.env)
    monkeypatch.setenv(ARIA.refresh_token.env, refresh)
    aria_creds.clear_requests()
    assert client_for(aria_creds.url).get("/iaas/api/projects/none") is None
    assert _logins(aria_creds) == (0, 1)


def test_an_expired_bearer_is_renewed_once(aria_creds: AriaLab) -> None:
    client = client_for(aria_creds.url)
    client.get("/iaas/api/projects/none")
    aria_creds.clear_requests()
    aria_creds.inject(pathPrefix="/iaas/api/projects", expireToken=True)
    assert client.get("/iaas/api/projects/none") is None
    assert _logins(aria_creds) == (0, 1)


def test_a_refused_refresh_token_is_replaced_through_the_csp_login(aria_creds: AriaLab) -> None:
    client = client_for(aria_creds.url)
    client.get("/iaas/api/projects/none")
    aria_creds.reset()  # every token the lab issued is gone
    assert client.get("/iaas/api/projects/none") is None
    assert _logins(aria_creds) == (1, 2)


def test_a_refused_refresh_token_without_password_fails_naming_the_login(
    aria_creds: AriaLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ARIA.password.env)
    monkeypatch.setenv(ARIA.refresh_token.env, "revoked-token")
    with pytest.raises(AriaError, match=r"Aria POST /iaas/api/login failed: HTTP 400"):
        client_for(aria_creds.url).get("/iaas/api/projects/none")


def test_tls_is_verified_unless_insecure(
    aria_creds: AriaLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ARIA.ca_bundle.env)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with pytest.raises(AriaError, match="no response: SSLError"):
        client_for(aria_creds.url).get("/iaas/api/projects/none")
    assert client_for(aria_creds.url, insecure=True).get("/iaas/api/projects/none") is None


def test_secrets_never_reach_errors_or_logs(
    aria_creds: AriaLab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ARIA.password.env, "wrong-secret-pw")
    with pytest.raises(AriaError) as failure:
        client_for(aria_creds.url).get("/iaas/api/projects/none")
    assert "wrong-secret-pw" not in str(failure.value) + caplog.text
    credentials = settings.credentials_for(aria_creds.url, False)
    assert "wrong-secret-pw" not in repr(credentials)
    monkeypatch.setenv(ARIA.password.env, aria_creds.password)
    aria_client.close_all()
    client_for(aria_creds.url).get("/iaas/api/projects/none")
    tokens = [r for r in aria_creds.requests() if r["path"].startswith("/csp/")]
    assert tokens and "Bearer" not in caplog.text


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, r"no Aria credentials .* 'refreshToken', or 'username' and 'password'"),
        ({"refreshToken": "t", "insecure": "maybe"},
         r"'gpu-mlaas:aria\.insecure' must be true or false"),
        ({"refreshToken": "t", "timeoutSeconds": 0}, r"timeoutSeconds / ARIA_TIMEOUT"),
        ({"refreshToken": "t", "caBundle": "/no/such.pem"},
         r"caBundle / ARIA_CA_BUNDLE: CA bundle /no/such.pem does not exist"),
    ],
)
def test_bad_settings_name_the_key(
    config: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for setting in ARIA_SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.setattr(settings.STACK, "_values", config)
    with pytest.raises(settings.AriaSettingsError, match=message):
        settings.credentials_for("https://aria.test", False)


def test_stack_config_arrives_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in ARIA_SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    settings.configure_from_stack({"gpu-mlaas:aria": '{"refreshToken": "abc", "domain": "d"}'})
    credentials = settings.credentials_for("https://aria.test", False)
    assert (credentials.refresh_token, credentials.domain) == ("abc", "d")
    settings.reset_stack_settings()
    with pytest.raises(settings.AriaSettingsError, match="not valid JSON"):
        settings.configure_from_stack({"gpu-mlaas:aria": "{"})


def test_poll_waits_for_an_answer_and_gives_up_at_the_deadline() -> None:
    answers = iter([None, None, {"id": "i1"}])
    assert poll(lambda: next(answers), 5.0, first_wait=0.01) == {"id": "i1"}
    calls: list[float] = []

    def never() -> None:
        calls.append(time.monotonic())

    assert poll(never, 0.1, first_wait=0.02, max_wait=0.04) is None
    assert 2 <= len(calls) <= 5  # doubling waits, no call once the next wait passes 0.1 s
