"""The bad-config corpus: every stack file in `bad_configs/` is refused with its key path and no
traceback, by `plan` and by the program, before a single request reaches either lab."""

from __future__ import annotations

import json
import re
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
from tests.e2e.engine import LabEngine
from tests.support.dynamic_host import DynamicHost
from tests.support.program import as_runtime

CORPUS = sorted((Path(__file__).parent / "bad_configs").glob("*.yaml"))


def expectation(path: Path) -> tuple[str, int]:
    header = path.read_text()
    expect = re.search(r"^# expect: (.+)$", header, re.M)
    plan_exit = re.search(r"^# plan-exit: (\d)$", header, re.M)
    assert expect and plan_exit, f"{path.name} lacks its expectation header"
    return expect.group(1).strip(), int(plan_exit.group(1))


def test_corpus_is_large_and_every_file_says_what_it_expects() -> None:
    assert len(CORPUS) >= 40
    for path in CORPUS:
        expectation(path)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_plan_refuses_with_the_key_path(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, plan_exit = expectation(path)
    code = mlaas_main(["plan", "--stack-file", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == plan_exit, (out, err)
    assert "Traceback" not in out + err
    if plan_exit == 2:
        assert out == ""
        assert re.search(rf"^\s+{re.escape(key)}: ", err, re.M), err
    elif plan_exit == 1:
        problems = json.loads(out)["problems"]
        assert key in [problem["path"] for problem in problems]


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


def runtime_config(path: Path, vcsim: VcsimLab, vra: VraLab) -> dict[str, str]:
    """The file's config pointed at the labs (where it names them), as the runtime passes it:
    strings, objects as JSON. If the program went ahead, its calls would reach the labs."""
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    if config.get("vsphere:vsphereServer"):
        config["vsphere:vsphereServer"] = vcsim.host_port
    endpoint = config.get("gpu-mlaas:vra")
    if isinstance(endpoint, dict) and str(endpoint.get("url", "")).startswith("https://"):
        endpoint["url"] = vra.url
        if "caBundle" in endpoint:
            endpoint["caBundle"] = str(vra.ca_file)
    return as_runtime(config)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_program_refuses_before_any_request(
    path: Path, engine: RecordingEngine, labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, vra = labs
    key, _ = expectation(path)
    engine.registered = []
    vra.clear_requests()
    sessions = len(open_sessions(vcsim))
    with pytest.raises(pulumi.RunError) as refused:
        engine.up(runtime_config(path, vcsim, vra), secret_keys=[])
    assert key in str(refused.value)
    assert engine.registered == []
    assert engine.operations == []
    assert vra.requests() == []
    assert len(open_sessions(vcsim)) == sessions
