"""`python -m mlaas plan` as a user runs it: output, JSON schema, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlaas", "plan", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def write_stack(tmp_path: Path, config: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


POOL = {"name": "p", "cluster": "c", "hosts": ["h1", "h2"], "vgpuProfile": "grid_p100-4q",
        "gpusPerHost": 1, "hostCores": 16, "hostSockets": 2, "hostMemoryGb": 256}


def test_dev_stack_plans_feasibly() -> None:
    result = run("--stack", "dev")
    assert result.returncode == 0, result.stderr
    assert "grid_p100-4q" in result.stdout
    assert "plan is feasible" in result.stdout


def test_json_is_one_object_and_matches_the_dev_stack() -> None:
    result = run("--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["feasible"] is True
    assert data["pools"][0]["slotsTotal"] == 12


def test_problems_exit_1_and_still_print_json(tmp_path: Path) -> None:
    path = write_stack(tmp_path, {"gpu-mlaas:pools": [POOL],
                                  "gpu-mlaas:offerings": [{"name": "o", "pool": "p",
                                                           "maxInstances": 20}]})
    result = run("--stack-file", str(path), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["feasible"] is False
    assert data["problems"][0]["path"] == "gpu-mlaas:offerings[0].maxInstances"


def test_problems_are_listed_in_the_table_output(tmp_path: Path) -> None:
    path = write_stack(tmp_path, {"gpu-mlaas:pools": [POOL],
                                  "gpu-mlaas:offerings": [{"name": "o", "pool": "p",
                                                           "maxInstances": 20}]})
    result = run("--stack-file", str(path))
    assert result.returncode == 1
    assert "gpu-mlaas:offerings[0].maxInstances: 20 instances exceed" in result.stdout


def test_invalid_config_exits_2_naming_every_key_without_traceback(tmp_path: Path) -> None:
    path = write_stack(tmp_path, {"gpu-mlaas:pools": [POOL | {"vgpuProfile": "grid_p100-5q",
                                                              "hosts": []}]})
    result = run("--stack-file", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "gpu-mlaas:pools[0].vgpuProfile" in result.stderr
    assert "gpu-mlaas:pools[0].hosts" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_unparsable_files_exit_2(tmp_path: Path) -> None:
    missing = run("--stack-file", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read the stack file" in missing.stderr
    broken = tmp_path / "Pulumi.b.yaml"
    broken.write_text("config: [unclosed\n")
    result = run("--stack-file", str(broken))
    assert result.returncode == 2 and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_never_imports_pulumi() -> None:
    code = ("import sys, mlaas.cli, mlaas.sizing, mlaas.config; "
            "assert not any(m == 'pulumi' or m.startswith('pulumi.') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_plan_survives_a_closed_pipe() -> None:
    """`plan | head -1`: the reader leaves after one line; plan still exits by its own rules."""
    shell = f"{sys.executable} -m mlaas plan --stack dev | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr and "Broken pipe" not in result.stderr
