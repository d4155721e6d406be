"""`make up` without a Pulumi CLI: one clear line, exit 1, and nothing started."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("pulumi") is not None or (ROOT / ".pulumi-cli" / "bin" / "pulumi").exists(),
    reason="a Pulumi CLI is installed here",
)
def test_up_without_cli_says_so_and_starts_nothing() -> None:
    pid_files = [ROOT / ".lab" / "vcsim.pid", ROOT / ".lab" / "vra.pid"]
    before = [p.exists() for p in pid_files]
    result = subprocess.run(
        [sys.executable, "-m", "lab", "devstack", "up"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        # no download attempt: on a machine with network access it could fetch a real CLI
        env={**os.environ, "GPU_MLAAS_NO_CLI_INSTALL": "1"},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "the Pulumi CLI is needed" in lines[0] and "pulumi.com/docs/install" in lines[0]
    assert [p.exists() for p in pid_files] == before


def test_each_lab_stack_names_its_labs_and_ports_from_its_stack_file() -> None:
    from lab.devstack import lab_listen

    assert lab_listen("dev") == {"vcsim": "127.0.0.1:18989", "vra": "127.0.0.1:18443"}
    assert lab_listen("dev-aria") == {"vcsim": "127.0.0.1:18989", "aria": "127.0.0.1:18444"}
    with pytest.raises(SystemExit, match="lab stacks: dev, dev-aria"):
        lab_listen("prod")


@pytest.mark.skipif(
    shutil.which("pulumi") is not None or (ROOT / ".pulumi-cli" / "bin" / "pulumi").exists(),
    reason="a Pulumi CLI is installed here",
)
def test_up_dev_aria_without_cli_starts_nothing() -> None:
    pid_files = [ROOT / ".lab" / f"{lab}.pid" for lab in ("vcsim", "aria")]
    before = [p.exists() for p in pid_files]
    result = subprocess.run(
        [sys.executable, "-m", "lab", "devstack", "up", "--stack", "dev-aria"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "GPU_MLAAS_NO_CLI_INSTALL": "1"},
    )
    assert result.returncode == 1
    assert "the Pulumi CLI is needed" in result.stderr
    assert [p.exists() for p in pid_files] == before
