"""vRA connection settings: a typo in a TLS switch is an error naming where it came from."""

import pytest

from providers.vra.settings import (
    Endpoint,
    VraSettingsError,
    configure_from_stack,
    credentials_for,
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_from_stack({})  # forget any earlier case's stack config
    for name in ("VRA_INSECURE", "VRA_CA_BUNDLE", "VRA_USERNAME", "VRA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


ENDPOINT = Endpoint(url="https://vra.example", tenant="vsphere.local")


def test_insecure_typo_in_stack_config_names_the_key() -> None:
    typo = '{"username": "a@b", "password": "p", "insecure": "ture"}'
    configure_from_stack({"gpu-mlaas:vra": typo})
    expected = r"config 'gpu-mlaas:vra.insecure' must be true or false"
    with pytest.raises(VraSettingsError, match=expected):
        credentials_for(ENDPOINT)


def test_insecure_typo_in_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_from_stack({"gpu-mlaas:vra": '{"username": "a@b", "password": "p"}'})
    monkeypatch.setenv("VRA_INSECURE", "maybe")
    with pytest.raises(VraSettingsError, match="env var VRA_INSECURE must be true or false"):
        credentials_for(ENDPOINT)


def test_verification_stays_on_by_default() -> None:
    configure_from_stack({"gpu-mlaas:vra": '{"username": "a@b", "password": "p"}'})
    assert credentials_for(ENDPOINT).insecure is False
