"""`lab.process`, how the vRA lab (and the vCenter lab) start and stop, with small stand-in
servers: the URL handshake, a server that never says it, and a stop that has to kill."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.process import StartError, start_server, stop

# Exits 0 on SIGTERM, as both labs do.
CLEAN = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("https://127.0.0.1:1/", flush=True)
time.sleep(60)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("https://127.0.0.1:1/", flush=True)
time.sleep(60)
"""
NOT_A_URL = """
import sys, time
print("bad certificate", file=sys.stderr, flush=True)  # before stdout: it is killed after that
print("listening somewhere", flush=True)
time.sleep(60)
"""
SILENT = "import time; time.sleep(60)"


def _start(script: str, tmp_path: Path, timeout: float = 10.0) -> tuple[subprocess.Popen[str], str]:
    with open(tmp_path / "server.log", "w") as log:
        return start_server(
            [sys.executable, "-c", script], stderr=log, env=os.environ, timeout=timeout
        )


def test_url_on_the_first_line_starts_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    process, url = _start(CLEAN, tmp_path)
    assert url == "https://127.0.0.1:1/"
    assert stop(process, grace=10) == 0
    assert stop(process, grace=10) == 0  # again: harmless


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    process, _ = _start(STUBBORN, tmp_path)
    assert stop(process, grace=0.5) == -9


def test_anything_but_a_url_is_a_start_error_and_the_server_is_gone(tmp_path: Path) -> None:
    with pytest.raises(StartError) as raised:
        _start(NOT_A_URL, tmp_path)
    assert raised.value.first_line == "listening somewhere"
    assert raised.value.returncode == -9  # killed, not left running
    assert "bad certificate" in (tmp_path / "server.log").read_text()


def test_a_silent_server_is_a_start_error_after_the_timeout(tmp_path: Path) -> None:
    with pytest.raises(StartError) as raised:
        _start(SILENT, tmp_path, timeout=0.5)
    assert raised.value.first_line == ""
    assert raised.value.returncode == -9
