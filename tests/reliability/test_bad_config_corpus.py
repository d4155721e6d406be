"""The bad-config corpus (`bad_configs.py`, patches of the dev stack): every case is refused with
its key path and no traceback, by `plan` and by the program, before a single request reaches
either lab; hostile files no patch can express are refused by `plan` within seconds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import open_sessions
from lab.vra import VraLab, start_vra
from mlaas.cli import main as mlaas_main
from tests.reliability.bad_configs import CASES, RAW_CASES, Case, RawCase, apply
from tests.support.dynamic_host import PROJECT_ROOT, DynamicHost
from tests.support.engine import LabEngine
from tests.support.program import as_runtime

CASES_BY_ID = {case.name: case for case in CASES}
DEV = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())["config"]


def write_stack_file(folder: Path, case: Case) -> Path:
    """The dev stack with the case's patch, as `Pulumi.<stack>.yaml`."""
    path = folder / case.name / f"Pulumi.{case.stack}.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"config": apply(DEV, case.patch)}, sort_keys=False))
    return path


def test_every_case_is_named_once_and_its_patch_changes_the_dev_stack() -> None:
    assert len(CASES_BY_ID) == len(CASES) == 80
    for case in CASES:
        assert json.dumps(apply(DEV, case.patch)) != json.dumps(DEV), case.name  # True == 1


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_plan_refuses_with_the_key_path(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack_file(tmp_path, case)
    code = mlaas_main(["plan", "--stack-file", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == case.plan_exit, (out, err)
    assert "Traceback" not in out + err
    if case.plan_exit == 2:
        assert out == ""
        assert re.search(rf"^\s+{re.escape(case.expect)}: ", err, re.M), err
    elif case.plan_exit == 1:
        problems = json.loads(out)["problems"]
        assert case.expect in [problem["path"] for problem in problems]
    else:
        assert json.loads(out)["feasible"] is True


@pytest.mark.parametrize("case", RAW_CASES, ids=[case.name for case in RAW_CASES])
def test_plan_refuses_hostile_files_quickly(case: RawCase, tmp_path: Path) -> None:
    """In a child process, as a user runs it: exit 2, the reason, no traceback, in seconds."""
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes(case.edit((PROJECT_ROOT / "Pulumi.dev.yaml").read_text()))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mlaas", "plan", "--stack-file", str(path)],
        capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT,
    )
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stderr
    assert case.expect in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@dataclass
class RecordingEngine(LabEngine):
    """Counts every resource the program tries to register, dynamic or not."""

    registered: list[str] = field(default_factory=list)

    def new_resource(self, args: Any) -> Any:
        self.registered.append(args.typ)
        return super().new_resource(args)


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    folder = tmp_path_factory.mktemp("corpus")
    with start_vcsim(ca_dir=folder) as vcsim, start_vra(ca_file=folder / "vra.pem") as vra:
        yield vcsim, vra


@pytest.fixture(scope="module")
def engine(labs: tuple[VcsimLab, VraLab]) -> Iterator[RecordingEngine]:
    vcsim, vra = labs
    config = {"vsphere:vsphereServer": vcsim.host_port, "vsphere:user": vcsim.user,
              "vsphere:password": vcsim.password, "gpu-mlaas:vsphereCaBundle": str(vcsim.ca_file)}
    with DynamicHost(config=config) as host:
        yield RecordingEngine(host=host)


def runtime_config(case: Case, vcsim: VcsimLab, vra: VraLab) -> dict[str, str]:
    """The case's config pointed at the labs (where it names them), as the runtime passes it:
    strings, objects as JSON. If the program went ahead, its calls would reach the labs."""
    config = apply(DEV, case.patch)
    if config.get("vsphere:vsphereServer"):
        config["vsphere:vsphereServer"] = vcsim.host_port
    endpoint = config.get("gpu-mlaas:vra")
    if isinstance(endpoint, dict) and str(endpoint.get("url", "")).startswith("https://"):
        endpoint["url"] = vra.url
        if "caBundle" in endpoint:
            endpoint["caBundle"] = str(vra.ca_file)
    return as_runtime(config)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_program_refuses_before_any_request(
    case: Case, engine: RecordingEngine, labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, vra = labs
    engine.registered = []
    engine.stack = case.stack
    vra.clear_requests()
    sessions = len(open_sessions(vcsim))
    with pytest.raises(pulumi.RunError) as refused:
        engine.up(runtime_config(case, vcsim, vra), secret_keys=[])
    assert case.expect in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert engine.registered == []
    assert engine.operations == []
    assert vra.requests() == []
    assert len(open_sessions(vcsim)) == sessions
