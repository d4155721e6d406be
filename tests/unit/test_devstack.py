"""`make up` / `make preview` without a Pulumi CLI: one clear line, exit 1, nothing started."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("action", ["up", "preview"])
def test_without_cli_says_so_and_starts_nothing(action: str, tmp_path: Path) -> None:
    pid_files = [ROOT / ".lab" / "vcsim.pid", ROOT / ".lab" / "vra.pid"]
    before = [p.exists() for p in pid_files]
    result = subprocess.run(
        [sys.executable, "-m", "lab", "devstack", action],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        # PULUMI, when set, is the only CLI looked at: here one that does not exist.
        env={**os.environ, "PULUMI": str(tmp_path / "no-such-pulumi")},
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Pulumi CLI" in lines[0] and "make tools" in lines[0]
    assert [p.exists() for p in pid_files] == before
