"""The guest scripts (providers/vra/scripts, composed by providers/guest_scripts.py): shellcheck
clean, and run with stub commands on PATH (docker, nvidia-ctk, nvidia-smi, systemctl, apt-get,
curl, gpg, sleep) under a scratch root, asserting every call they make and every file they write."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from providers import guest_scripts

SCRIPTS = Path(guest_scripts.__file__).parent / "vra" / "scripts"
TOKEN = "eyJhbGciOi.stub-client-configuration-token.ZXhwIjo"
IMAGE = "tensorflow/tensorflow:latest-gpu"
SYSTEM_PATH = "/usr/bin:/bin"  # coreutils, grep, sed; no docker or NVIDIA tool lives here

# One stub for every command: it logs its argv, then acts as the command would on a VM.
STUB = r"""#!/bin/bash
name="$(basename "$0")"
echo "${name} $*" >>"${STUB_CALLS}"
case "${name} $*" in
    "nvidia-smi -q")
        echo "    vGPU Software Licensed Product"
        echo "        License Status : ${STUB_LICENSE:-Licensed (Expiry: 2026-12-31 0:0:0 GMT)}" ;;
    "nvidia-smi -L") echo "GPU 0: GRID P100-4Q (UUID: GPU-stub)" ;;
    "nvidia-smi --query-gpu"*) echo "GRID P100-4Q" ;;
    "curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list")
        echo "deb https://nvidia.github.io/libnvidia-container/stable/deb/\$(ARCH) /" ;;
    "curl "*) echo "stub key" ;;
    "gpg "*) cat >/dev/null; echo key >"${@: -1}" ;;
    "apt-get install"*) ln -s "$0" "$(dirname "$0")/nvidia-ctk" ;;
    "docker pull "*) [ -z "${STUB_PULL_FAILS:-}" ] || exit 1 ;;
esac
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]
    root: Path


@pytest.fixture
def guest(tmp_path: Path) -> Path:
    """A scratch root with the driver's gridd.conf.template, and a folder of stubs."""
    root = tmp_path / "root"
    (root / "etc" / "nvidia").mkdir(parents=True)
    (root / "etc" / "nvidia" / "gridd.conf.template").write_text(
        "# Description: Set Feature to be enabled\nFeatureType=0\n"
    )
    stubs = tmp_path / "bin"
    stubs.mkdir()
    stub = stubs / "stub"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    for name in ("docker", "nvidia-ctk", "nvidia-smi", "systemctl", "apt-get", "curl", "gpg",
                 "sleep"):
        (stubs / name).symlink_to(stub)
    return tmp_path


def run(guest: Path, text: str, *, without: tuple[str, ...] = (),
        env: dict[str, str] | None = None, **more: str) -> Run:
    for name in without:
        (guest / "bin" / name).unlink()
    script = guest / "script.sh"
    script.write_text(text)
    calls = guest / "calls"
    calls.touch()
    result = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=60,
        env={"PATH": f"{guest / 'bin'}:{SYSTEM_PATH}", "HOME": str(guest),
             "MLAAS_ROOT": str(guest / "root"), "STUB_CALLS": str(calls), "image": IMAGE,
             **(env or {}), **more},
    )
    return Run(result.returncode, result.stdout, result.stderr,
               calls.read_text().splitlines(), guest / "root")


LICENCE = {"nvidia_feature_type": "1", "nvidia_client_config_token": TOKEN,
           "nvidia_licensed_product": "NVIDIA RTX Virtual Workstation"}


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck is not installed (make lab-deps installs it)")
def test_scripts_and_their_composition_pass_shellcheck(tmp_path: Path) -> None:
    composed = tmp_path / "composed.sh"
    composed.write_text(guest_scripts.guest_script(guest_scripts.LICENSING, guest_scripts.INSTALL))
    files = [*sorted(SCRIPTS.glob("*.sh")), composed]
    result = subprocess.run(["shellcheck", "--shell=bash", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_install_configures_docker_through_the_container_toolkit(guest: Path) -> None:
    result = run(guest, guest_scripts.script(guest_scripts.INSTALL))
    assert result.returncode == 0, result.stderr
    cdi = result.root / "etc" / "cdi" / "nvidia.yaml"
    assert result.calls == [
        "nvidia-ctk runtime configure --runtime=docker",
        "systemctl restart docker",
        f"nvidia-ctk cdi generate --output={cdi}",
        f"docker pull {IMAGE}",
        "nvidia-smi -L",
        f"docker run --rm --gpus all {IMAGE} nvidia-smi -L",
        "nvidia-smi --query-gpu=name --format=csv,noheader",
    ]
    motd = (result.root / "etc" / "motd").read_text()
    assert f"container image : {IMAGE}" in motd
    assert "GRID P100-4Q ready in containers" in motd
    assert f"docker run --rm -it --gpus all {IMAGE} bash" in motd


def test_install_adds_nvidias_apt_repository_when_the_toolkit_is_missing(guest: Path) -> None:
    result = run(guest, guest_scripts.script(guest_scripts.INSTALL), without=("nvidia-ctk",))
    assert result.returncode == 0, result.stderr
    keyring = result.root / "usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"
    # Each `curl | ...` pipeline starts both commands at once: their order is not fixed.
    assert set(result.calls[:2]) == {
        "curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey",
        f"gpg --dearmor --yes -o {keyring}",
    }
    assert result.calls[2:5] == [
        "curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/"
        "nvidia-container-toolkit.list",
        "apt-get update -q",
        "apt-get install -y -q nvidia-container-toolkit",
    ]
    assert result.calls[5] == "nvidia-ctk runtime configure --runtime=docker"
    sources = result.root / "etc/apt/sources.list.d/nvidia-container-toolkit.list"
    # The keyring path as the VM sees it, without the scratch root.
    assert sources.read_text().startswith(
        "deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] https://"
    )


def test_install_fails_clearly_without_docker_or_when_the_pull_fails(guest: Path) -> None:
    script = guest_scripts.script(guest_scripts.INSTALL)
    pulled = run(guest, script, STUB_PULL_FAILS="1")
    assert pulled.returncode == 1 and f"could not pull {IMAGE}" in pulled.stderr
    assert pulled.calls[-5:] == [f"docker pull {IMAGE}", "sleep 10", f"docker pull {IMAGE}",
                                 "sleep 20", f"docker pull {IMAGE}"]
    missing = run(guest, script, without=("docker",))
    assert missing.returncode == 1 and "docker is missing" in missing.stderr


def test_licensing_writes_the_token_sets_the_feature_type_and_checks_the_lease(
    guest: Path,
) -> None:
    result = run(guest, guest_scripts.script(guest_scripts.LICENSING), env=LICENCE)
    assert result.returncode == 0, result.stderr
    assert result.calls == ["systemctl restart nvidia-gridd", "nvidia-smi -q"]
    [token_file] = (result.root / "etc/nvidia/ClientConfigToken").glob(
        "client_configuration_token_*.tok"
    )
    assert token_file.read_text() == TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o744
    gridd = (result.root / "etc/nvidia/gridd.conf").read_text()
    assert "FeatureType=1\n" in gridd and "FeatureType=0" not in gridd
    assert "licensed (NVIDIA RTX Virtual Workstation)" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_licensing_failure_fails_the_step_with_the_licence_state(guest: Path) -> None:
    result = run(guest, guest_scripts.script(guest_scripts.LICENSING),
                 env=LICENCE, STUB_LICENSE="Unlicensed (Restricted)")
    assert result.returncode == 1
    assert "no NVIDIA licence after 12 checks" in result.stderr
    assert "Unlicensed (Restricted)" in result.stderr
    assert result.calls.count("nvidia-smi -q") == 12 and result.calls.count("sleep 10") == 11
    assert TOKEN not in result.stdout + result.stderr


def test_licensing_from_a_legacy_license_server(guest: Path) -> None:
    env = {"nvidia_feature_type": "1", "nvidia_license_server": "licenses.example.com",
           "nvidia_license_port": "7070"}
    result = run(guest, guest_scripts.script(guest_scripts.LICENSING), env=env)
    assert result.returncode == 0, result.stderr
    gridd = (result.root / "etc/nvidia/gridd.conf").read_text()
    assert "ServerAddress=licenses.example.com\n" in gridd and "ServerPort=7070\n" in gridd
    assert not (result.root / "etc/nvidia/ClientConfigToken").exists()


def test_a_bad_feature_type_is_refused_before_anything_changes(guest: Path) -> None:
    result = run(guest, guest_scripts.script(guest_scripts.LICENSING),
                 env={**LICENCE, "nvidia_feature_type": "3"})
    assert result.returncode == 1 and "not a gridd.conf FeatureType" in result.stderr
    assert result.calls == [] and not (result.root / "etc/nvidia/gridd.conf").exists()


def test_composed_script_licenses_first_and_stops_when_licensing_fails(guest: Path) -> None:
    composed = guest_scripts.guest_script(guest_scripts.LICENSING, guest_scripts.INSTALL)
    ok = run(guest, composed, env=LICENCE)
    assert ok.returncode == 0, ok.stderr
    assert ok.calls.index("systemctl restart nvidia-gridd") < ok.calls.index(f"docker pull {IMAGE}")
    (guest / "calls").unlink()
    failed = run(guest, composed, env=LICENCE, STUB_LICENSE="Unlicensed")
    assert failed.returncode == 1
    assert not any(call.startswith("docker") for call in failed.calls)


def test_no_nvidia_docker2_left_in_the_scripts() -> None:
    for path in SCRIPTS.glob("*.sh"):
        assert "nvidia-docker" not in path.read_text(), path
    assert os.access(SCRIPTS / guest_scripts.LICENSING, os.X_OK)
