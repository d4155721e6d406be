"""The lab binary builds, and `python -m lab vcsim` behaves like a well-mannered service."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from lab.vcsim import build as build_module

ROOT = Path(__file__).resolve().parents[2]


def test_build_returns_fresh_binary_and_is_a_noop_when_up_to_date() -> None:
    binary = build_module.build()
    assert binary.is_file() and os.access(binary, os.X_OK)
    mtime = binary.stat().st_mtime_ns
    assert not build_module.is_stale()
    assert build_module.build() == binary
    assert binary.stat().st_mtime_ns == mtime  # no rebuild


def test_build_says_how_to_install_go_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(build_module.shutil, "which", lambda name: None)
    with pytest.raises(build_module.BuildError) as err:
        build_module.build(force=True)
    message = str(err.value)
    assert "golang-go" in message and "go.dev/dl" in message


def test_module_pins_govmomi_and_the_build_goes_stale_with_go_sum() -> None:
    go_mod = (build_module.HERE / "go.mod").read_text()
    assert "github.com/vmware/govmomi v0.52.0" in go_mod
    go_sum = build_module.HERE / "go.sum"
    assert "github.com/vmware/govmomi v0.52.0 h1:" in go_sum.read_text()
    binary = build_module.build()
    stamp = binary.stat().st_mtime
    try:
        os.utime(go_sum, (stamp + 5, stamp + 5))
        assert build_module.is_stale()
    finally:
        os.utime(go_sum, (stamp - 5, stamp - 5))
    assert not build_module.is_stale()


def test_cli_prints_url_first_writes_ca_and_stops_on_sigterm(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca" / "vcsim-ca.pem"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "vcsim",
            "--hosts",
            "1",
            "--ca-file",
            str(ca_file),
            "--password",
            "s3cret-pw",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        url = urlsplit(first)
        assert url.scheme == "https" and url.path == "/sdk"
        assert url.hostname == "127.0.0.1" and url.port
        assert unquote(url.username or "") == "administrator@vsphere.local"
        assert url.password == "s3cret-pw"
        assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")

        # The served certificate verifies against the written CA, hostname included.
        context = ssl.create_default_context(cafile=str(ca_file))
        with socket.create_connection(("127.0.0.1", url.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.version()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", url.port), timeout=2).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _, err = proc.communicate()
    assert "s3cret-pw" not in err  # our own log lines never show the password


def test_cli_rejects_bad_sizes_with_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lab", "vcsim", "--cores", "15", "--sockets", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "-cores (15) must be a positive multiple of -sockets (2)" in result.stderr
