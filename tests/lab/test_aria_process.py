"""`python -m lab aria` as a process: URL first on stdout, clean exit on SIGTERM, bad flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from lab.aria import start_aria

ROOT = Path(__file__).resolve().parents[2]


def test_the_lab_prints_its_url_and_stops_cleanly() -> None:
    lab = start_aria()
    assert lab.url.startswith("https://127.0.0.1:")
    health = requests.get(f"{lab.url}/__lab/health", verify=str(lab.ca_file), timeout=10)
    assert health.json() == {"status": "ok"}
    assert lab.stop() == 0


def test_negative_delays_and_a_vcenter_without_ca_are_refused() -> None:
    bad = subprocess.run([sys.executable, "-m", "lab", "aria", "--catalog-delay", "-1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "must not be negative" in bad.stderr
    no_ca = subprocess.run([sys.executable, "-m", "lab", "aria"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60,
                           env={"ARIA_LAB_VCENTER": "https://u:p@127.0.0.1:1/sdk",
                                "PATH": "/usr/bin:/bin"})
    assert no_ca.returncode == 2 and "--vcenter-ca-file" in no_ca.stderr
