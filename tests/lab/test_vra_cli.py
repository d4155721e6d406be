"""`python -m lab vra` and `start_vra`: URL first on stdout, verified TLS, clean stop on signals."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lab.operated import PROJECT_ROOT
from lab.vra import LabError, start_vra


def _launch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lab", "vra", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_first_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    ca_file = tmp_path / "nested" / "ca.pem"
    proc = _launch(
        "--listen", "127.0.0.1:0", "--ca-file", str(ca_file),
        "--catalog-delay", "1.5", "--token-lifetime", "60",
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", url), url
        assert int(url.rsplit(":", 1)[1]) > 0
        health = requests.get(f"{url}/__lab/health", verify=str(ca_file), timeout=10)
        assert health.json() == {"status": "ok"}
        seed = requests.get(f"{url}/__lab/seed", verify=str(ca_file), timeout=10).json()
        assert (seed["catalogItemDelaySeconds"], seed["tokenLifetimeSeconds"]) == (1.5, 60)
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == ""  # nothing after the URL line


def test_tls_is_verified_against_the_lab_ca_only(tmp_path: Path) -> None:
    with start_vra(ca_file=tmp_path / "ca.pem") as lab:
        assert lab.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
        with pytest.raises(requests.exceptions.SSLError):
            # The system trust store does not know the lab's throw-away CA.
            requests.get(f"{lab.url}/__lab/health", verify=True, timeout=10)
        localhost = lab.url.replace("127.0.0.1", "localhost")
        assert requests.get(f"{localhost}/__lab/health", verify=str(lab.ca_file), timeout=10).ok
    assert lab.returncode == 0


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", ":80"])
def test_cli_rejects_bad_listen(listen: str) -> None:
    proc = _launch("--listen", listen)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 2
    assert "HOST:PORT" in err
    assert out == ""


def test_start_vra_applies_seed_and_cleans_up_its_ca() -> None:
    lab = start_vra(seed={"catalogItemDelaySeconds": 0, "tenant": "corp"})
    try:
        assert lab.tenant == "corp"
        assert lab.seed["catalogItemDelaySeconds"] == 0
        ca_file = lab.ca_file
        assert ca_file.exists()
    finally:
        assert lab.stop() == 0
    assert not ca_file.exists()  # a CA made for this lab goes with it
    assert lab.stop() == 0  # stopping twice is harmless


def test_start_vra_reports_a_failed_start() -> None:
    with pytest.raises(LabError, match="did not start"):
        start_vra(listen="192.0.2.1:0")  # not an address of this machine
