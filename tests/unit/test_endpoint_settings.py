"""The one settings vocabulary of every endpoint (mlaas/settings.py): the TLS switch vocabulary,
CA bundles, the tables of config keys and environment variables, the connection-registry key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlaas.settings import ARIA, VRA, VSPHERE, SettingError, ca_bundle, switch
from providers.connections import ConnectionKey, Trust


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
    monkeypatch.setenv(VRA.insecure.env, "maybe")
    with pytest.raises(SettingError, match="env var VRA_INSECURE"):
        VRA.insecure.read(True)  # a typo in the environment is seen even when config says on
    monkeypatch.setenv(VRA.insecure.env, "yes")
    assert VRA.insecure.read(None) is True
    assert VRA.insecure.which(None) == "env var VRA_INSECURE=yes"
    monkeypatch.delenv(VSPHERE.insecure.env, raising=False)
    assert VSPHERE.insecure.which("false") is None


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


def test_each_setting_is_config_first_then_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ARIA.domain.env, "from-env")
    assert ARIA.domain.lookup(ARIA.domain.in_config({"domain": "from-config"})) == "from-config"
    assert ARIA.domain.lookup(ARIA.domain.in_config({"domain": ""})) == "from-env"
    monkeypatch.delenv(ARIA.domain.env)
    assert ARIA.domain.lookup(ARIA.domain.in_config({})) is None
    # A key of its own is looked up whole; one inside a backend's object by its field.
    assert VSPHERE.username.in_config({"vsphere:user": "admin"}) == "admin"
    assert (VRA.timeout.key, VSPHERE.username.key) == ("gpu-mlaas:vra.timeoutSeconds",
                                                      "vsphere:user")


def test_timeouts_and_objects_name_their_key_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VRA.timeout.env, raising=False)
    assert VRA.timeout.read(None) == VRA.timeout.default
    with pytest.raises(SettingError, match=r"config 'gpu-mlaas:vra'\.timeoutSeconds / VRA_TIMEOUT"):
        VRA.timeout.read("soon")
    assert VRA.stack_value(VRA.insecure, {"gpu-mlaas:vra": '{"insecure": "yes"}'}) == "yes"
    with pytest.raises(SettingError, match="'gpu-mlaas:aria' is not valid JSON"):
        ARIA.stack_value(ARIA.insecure, {"gpu-mlaas:aria": "{"})


def test_every_backend_has_its_own_variables() -> None:
    tables = (VSPHERE, VRA, ARIA)
    envs = [s.env for t in tables for s in vars(t).values() if hasattr(s, "env")]
    assert len(envs) == len(set(envs))
    assert all(env.startswith(t.name.upper()[:4]) for t in tables for env in
               [s.env for s in vars(t).values() if hasattr(s, "env")])
