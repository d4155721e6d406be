"""The shared vSphere client: settings, TLS, one session per process, re-login."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi.dynamic import Config
from pyVmomi import vim

from providers.vsphere import client
from tests.providers.vsphere.conftest import Inspector, stack_config
from tests.support.managed import Managed

ENV_VARS = (
    "VSPHERE_SERVER",
    "VSPHERE_USER",
    "VSPHERE_PASSWORD",
    "VSPHERE_ALLOW_UNVERIFIED_SSL",
    "VSPHERE_CA_BUNDLE",
)


@pytest.fixture(autouse=True)
def _no_vsphere_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def config(values: dict[str, str]) -> Config:
    return Config(values, "gpu-mlaas")


def host_count(si: Managed) -> int:
    return len(client.inventory(si, vim.HostSystem, []))


def test_missing_setting_names_config_key_and_env_var() -> None:
    with pytest.raises(client.VsphereConfigError) as failure:
        client.settings_from_config(config({"vsphere:vsphereServer": "vc:443"}))
    assert "'vsphere:user'" in str(failure.value) and "VSPHERE_USER" in str(failure.value)


def test_settings_parse_server_forms_and_fall_back_to_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VSPHERE_USER", "env-user")
    monkeypatch.setenv("VSPHERE_PASSWORD", "env-secret")
    plain = client.settings_from_config(config({"vsphere:vsphereServer": "vc.example"}))
    assert (plain.endpoint.host, plain.endpoint.port, plain.endpoint.user) == (
        "vc.example",
        443,
        "env-user",
    )
    url = client.settings_from_config(config({"vsphere:vsphereServer": "https://vc:8443/sdk"}))
    assert (url.endpoint.host, url.endpoint.port) == ("vc", 8443)
    assert "env-secret" not in repr(url)
    with pytest.raises(client.VsphereConfigError, match="bad port"):
        client.settings_from_config(config({"vsphere:vsphereServer": "vc:https"}))
    with pytest.raises(client.VsphereConfigError, match="allowUnverifiedSsl"):
        client.settings_from_config(
            config({"vsphere:vsphereServer": "vc", "vsphere:allowUnverifiedSsl": "maybe"})
        )


def test_relative_ca_bundle_is_resolved_from_the_project_root(
    lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ca.pem").write_bytes(Path(lab.ca_file).read_bytes())
    monkeypatch.chdir(tmp_path)
    settings = client.settings_from_config(
        config({**stack_config(lab), "gpu-mlaas:vsphereCaBundle": "ca.pem"})
    )
    assert settings.ca_bundle == str(tmp_path / "ca.pem")
    with pytest.raises(client.VsphereConfigError, match="vsphereCaBundle"):
        client.settings_from_config(
            config({**stack_config(lab), "gpu-mlaas:vsphereCaBundle": "missing.pem"})
        )


def test_tls_is_verified_unless_turned_off(lab: Any, caplog: pytest.LogCaptureFixture) -> None:
    without_ca = {k: v for k, v in stack_config(lab).items() if k != "gpu-mlaas:vsphereCaBundle"}
    client.configure(config(without_ca))
    with pytest.raises(client.VsphereError, match="TLS check .* failed.*vsphereCaBundle"):
        client.run(host_count)

    client.disconnect_all()
    client.configure(config({**without_ca, "vsphere:allowUnverifiedSsl": "true"}))
    with caplog.at_level(logging.WARNING, logger="providers.vsphere.client"):
        assert client.run(host_count) == len(lab.host_names)
    assert any("TLS certificate checks are OFF" in r.getMessage() for r in caplog.records)


def test_one_session_for_concurrent_calls(lab: Any, inspector: Inspector) -> None:
    before = inspector.session_keys()
    client.configure(config(stack_config(lab)))
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: client.run(host_count, read_only=True), range(16)))
    assert counts == [len(lab.host_names)] * 16
    assert len(inspector.session_keys() - before) == 1
    client.disconnect_all()
    assert inspector.session_keys() == before


def session_key(si: Managed) -> str:
    return str(si.content.sessionManager.currentSession.key)


def test_logs_in_again_once_when_the_session_is_gone(lab: Any, inspector: Inspector) -> None:
    client.configure(config(stack_config(lab)))
    first = client.run(session_key)
    inspector.si.content.sessionManager.TerminateSession([first])

    second = client.run(session_key)
    assert second != first
    assert client.run(host_count) == len(lab.host_names)


def test_bad_password_is_reported_without_the_password(lab: Any) -> None:
    client.configure(config({**stack_config(lab), "vsphere:password": "wrong-secret"}))
    with pytest.raises(client.VsphereError, match="refused the login") as failure:
        client.run(host_count)
    assert "wrong-secret" not in str(failure.value)


def test_vsphere_faults_become_messages_naming_the_object(lab: Any, inspector: Inspector) -> None:
    client.configure(config(stack_config(lab)))

    def mark_running_vm_as_template(si: Managed) -> None:
        datacenter, _ = client.find_datacenter(si, lab.datacenter)
        vm: Managed
        vm, _ = client.find_vm(si, datacenter, lab.datacenter, lab.base_image) or (None, None)
        task = vm.PowerOnVM_Task()
        client.wait_for_task(si, task, f"powering on VM {lab.base_image}")
        try:
            with client.explain(f"marking VM {lab.base_image} as a template"):
                vm.MarkAsTemplate()  # refused: the VM is powered on
        finally:
            client.wait_for_task(si, vm.PowerOffVM_Task(), f"powering off VM {lab.base_image}")

    with pytest.raises(client.VsphereError) as failure:
        client.run(mark_running_vm_as_template)
    message = str(failure.value)
    assert message.startswith(f"marking VM {lab.base_image} as a template failed: ")
    assert "InvalidPowerState" in message and "existingState=poweredOn" in message, message


class _SessionGone:
    """A manager whose session vCenter has dropped: every call is NotAuthenticated."""

    def __getattr__(self, name: str) -> Any:
        def call(*_args: Any, **_kwargs: Any) -> Any:
            raise vim.fault.NotAuthenticated(privilegeId="System.View")

        return call


def test_host_reads_leave_a_dropped_session_to_run() -> None:
    """Each host read that explains its faults lets NotAuthenticated through, so `run` logs
    in again instead of reporting a failure (a session ended between two resources)."""
    from providers.vsphere import host_driver, host_gpus, host_maintenance

    gone = _SessionGone()
    reads = [
        lambda: host_gpus.check_profile_facts("h1", "grid_a100-4c", "grid_a100-4c", gone),
        lambda: host_driver.installed("h1", gone),
        lambda: host_maintenance.vgpu_hot_migrate(
            SimpleNamespace(content=SimpleNamespace(setting=gone))  # type: ignore[arg-type]
        ),
    ]
    for read in reads:
        with pytest.raises(vim.fault.NotAuthenticated):
            read()
