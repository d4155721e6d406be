"""`make up` / `make preview` without a Pulumi CLI: one clear line, exit 1, nothing started."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("action", "stack", "labs"),
    [("up", "dev", ("vcsim", "vra")), ("preview", "dev", ("vcsim", "vra")),
     ("up", "dev-aria", ("vcsim", "aria"))],
)
def test_without_cli_says_so_and_starts_nothing(
    action: str, stack: str, labs: tuple[str, ...], tmp_path: Path
) -> None:
    pid_files = [ROOT / ".lab" / f"{lab}.pid" for lab in labs]
    before = [p.exists() for p in pid_files]
    result = subprocess.run(
        [sys.executable, "-m", "lab", "devstack", action, "--stack", stack],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        # PULUMI, when set, is the only CLI looked at: here one that does not exist.
        env={**os.environ, "PULUMI": str(tmp_path / "no-such-pulumi")},
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Pulumi CLI" in lines[0] and "make tools" in lines[0]
    assert [p.exists() for p in pid_files] == before


def test_each_lab_stack_names_its_labs_and_ports_from_its_stack_file() -> None:
    from lab.devstack import lab_listen

    assert lab_listen("dev") == {"vcsim": "127.0.0.1:18989", "vra": "127.0.0.1:18443"}
    assert lab_listen("dev-aria") == {"vcsim": "127.0.0.1:18989", "aria": "127.0.0.1:18444"}
    with pytest.raises(SystemExit, match="lab stacks: dev, dev-aria"):
        lab_listen("prod")
