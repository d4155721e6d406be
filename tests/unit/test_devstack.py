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
