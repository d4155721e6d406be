"""The one settings layer of every endpoint: the TLS switch vocabulary, CA bundles, the
connection-registry key."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.settings import (
    VRA_INSECURE,
    VSPHERE_UNVERIFIED,
    ConnectionKey,
    SettingError,
    Trust,
    ca_bundle,
    switch,
)


@pytest.mark.parametrize(
    ("value", "on"),
    [(True, True), (False, False), (None, False), ("", False), (" Yes ", True), ("ON", True),
     ("1", True), ("true", True), ("off", False), ("no", False), ("0", False), ("FALSE", False)],
)
def test_one_vocabulary(value: object, on: bool) -> None:
    assert switch(value, "k") is on


@pytest.mark.parametrize("value", ["ture", "t", "y", "2", "enabled"])
def test_anything_else_is_an_error_naming_its_source(value: str) -> None:
    with pytest.raises(SettingError, match=f"config 'k' must be true or false.*got '{value}'"):
        switch(value, "config 'k'")


def test_config_and_environment_are_both_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VRA_INSECURE.env, "maybe")
    with pytest.raises(SettingError, match="env var VRA_INSECURE"):
        VRA_INSECURE.read(True)  # a typo in the environment is seen even when config says on
    monkeypatch.setenv(VRA_INSECURE.env, "yes")
    assert VRA_INSECURE.read(None) is True
    assert VRA_INSECURE.which(None) == "env var VRA_INSECURE=yes"
    monkeypatch.delenv(VSPHERE_UNVERIFIED.env, raising=False)
    assert VSPHERE_UNVERIFIED.which("false") is None


def test_ca_bundle_must_exist_and_becomes_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ca.pem").write_text("pem")
    assert ca_bundle("ca.pem", "NO_SUCH_ENV", "config 'x'") == str(tmp_path / "ca.pem")
    with pytest.raises(SettingError, match="config 'x' / NO_SUCH_ENV: CA bundle .* does not exist"):
        ca_bundle("missing.pem", "NO_SUCH_ENV", "config 'x'")


def test_connection_keys_differ_by_trust_never_by_secret() -> None:
    verified = ConnectionKey("https://vc:443", "", "admin", Trust())
    unverified = ConnectionKey("https://vc:443", "", "admin", Trust(verify=False))
    assert verified != unverified
    assert verified == ConnectionKey("https://vc:443", "", "admin", Trust(True, None))
    assert str(ConnectionKey("https://vra", "vsphere.local", "svc", Trust())) == (
        "svc at https://vra (vsphere.local)")
