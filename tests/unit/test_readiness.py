"""Guest readiness: driver branches, ECC preconditions and licence settings (mlaas/readiness.py
over mlaas/data/driver_rules.yaml), through `plan` as a user meets them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlaas import driver_rules
from mlaas.cli import main
from mlaas.loading import parse_config, read_stack_file
from mlaas.readiness import guest_licence
from mlaas.sizing import plan

DEV = Path(__file__).resolve().parents[2] / "Pulumi.dev.yaml"


def _dev(**changes: Any) -> dict[str, Any]:
    values = read_stack_file(DEV)
    pool = changes.pop("pool", {})
    template = changes.pop("template", {})
    values["gpu-mlaas:pools"][0].update(pool)
    values["gpu-mlaas:template"].update(template)
    values.update({f"gpu-mlaas:{key}": value for key, value in changes.items()})
    return values


def _plan(values: dict[str, Any]) -> dict[str, Any]:
    return plan(parse_config(values, "dev")).as_json()


@pytest.mark.parametrize(("host", "guest", "ok"), [
    ("525.85.07", "525.60.13", True),  # same branch, other release
    ("525.85.07", "510.85.02", True),  # vGPU 15 takes the previous branch (R510, 14.x)
    ("525.85.07", "470.82.01", False),  # two branches back
    ("535.54.06", "550.54.14", False),  # a newer guest than the host
    ("418.66", "410.91", False),  # vGPU 8: same branch only
    ("580.65.05", "570.124.06", True),
])
def test_guest_driver_branch_rule(host: str, guest: str, ok: bool) -> None:
    assert (driver_rules.guest_compatible(host, guest) is None) is ok


def test_a_branch_mismatch_is_a_plan_problem_naming_both_versions() -> None:
    result = _plan(_dev(pool={"hostDriverVersion": "525.85.07"},
                        template={"guestDriverVersion": "470.82.01"}))
    assert not result["feasible"]
    [problem] = result["problems"]
    assert problem["path"] == "gpu-mlaas:template.guestDriverVersion"
    assert "525.85.07" in problem["message"] and "470.82.01" in problem["message"]
    assert "p100-pool" in problem["message"] and "R510" in problem["message"]


def test_compatible_drivers_leave_the_plan_feasible() -> None:
    assert _plan(_dev(pool={"hostDriverVersion": "525.85.07"},
                      template={"guestDriverVersion": "525.85.05"}))["feasible"]


def test_ecc_precondition_for_a_p100_pool_on_a_pre_9_driver() -> None:
    result = _plan(_dev(pool={"hostDriverVersion": "418.66"},
                        template={"guestDriverVersion": "418.70"}))
    assert result["feasible"]
    [item] = result["preconditions"]
    assert item["path"] == "gpu-mlaas:pools[0]"
    assert "nvidia-smi -e 0" in item["message"] and "R418 (vGPU 8.x)" in item["message"]
    assert "Disabling ECC Memory" in item["source"]


def test_no_ecc_precondition_from_vgpu_9_on_or_without_ecc_memory() -> None:
    assert _plan(_dev(pool={"hostDriverVersion": "430.46"}))["preconditions"] == []
    a10 = {"vgpuProfile": "grid_a10-4q", "hostDriverVersion": "418.66"}
    assert _plan(_dev(pool=a10))["preconditions"] == []


def test_ecc_precondition_stays_conditional_while_the_host_driver_is_unknown() -> None:
    [item] = _plan(_dev())["preconditions"]
    assert "if the hosts' vGPU Manager is older than vGPU 9.0" in item["message"]


def test_legacy_license_server_is_refused_by_token_only_drivers() -> None:
    result = _plan(_dev(pool={"hostDriverVersion": "525.85.07"},
                        licensing={"serverAddress": "licenses.example.com"}))
    [problem] = result["problems"]
    assert problem["path"] == "gpu-mlaas:licensing.serverAddress"
    assert "NVIDIA License System only" in problem["message"]
    assert _plan(_dev(pool={"hostDriverVersion": "470.82.01"},
                      licensing={"serverAddress": "licenses.example.com"}))["feasible"]


def test_feature_type_follows_nvidia_for_vgpu_and_can_be_overridden() -> None:
    token = {"clientConfigToken": {"secure": "v1:abc"}}
    config = parse_config(_dev(licensing=token), "dev")
    licence = guest_licence(config.licensing, "grid_p100-4q")
    assert licence is not None
    assert (licence.feature_type, licence.product) == (1, "NVIDIA RTX Virtual Workstation")
    compute = guest_licence(config.licensing, "grid_a100-3-20c")
    assert compute is not None and compute.product == "NVIDIA Virtual Compute Server"
    override = parse_config(_dev(licensing={**token, "featureType": 4}), "dev").licensing
    forced = guest_licence(override, "grid_p100-4q")
    assert forced is not None
    assert (forced.feature_type, forced.product) == (4, "NVIDIA Virtual Compute Server")
    assert guest_licence(config.licensing, None) is None  # CPU-only offering


def test_plan_cli_prints_preconditions_with_their_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = yaml.safe_load(DEV.read_text())
    stack["config"]["gpu-mlaas:pools"][0]["hostDriverVersion"] = "418.66"
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(stack))
    assert main(["plan", "--stack-file", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["preconditions"][0]["path"] == "gpu-mlaas:pools[0]"
    assert main(["plan", "--stack-file", str(path)]) == 0
    assert "precondition gpu-mlaas:pools[0]: ECC memory must be off" in capsys.readouterr().out


def test_at_deployment_the_reported_host_driver_takes_over_from_the_config() -> None:
    from mlaas.readiness import guest_driver_problem

    pool = parse_config(_dev(pool={"hostDriverVersion": "470.82.01"}), "dev").pools[0]
    assert guest_driver_problem(pool, "525.85.07", "525.85.05") is None  # the hosts' own
    assert "470.82.01" in (guest_driver_problem(pool, None, "525.85.05") or "")  # the config's
    assert guest_driver_problem(pool, "525.85.07", None) is None  # no guest version set
    unknown = guest_driver_problem(pool, "999.1", "525.85.05") or ""
    assert "R999" in unknown and "p100-pool" in unknown


def test_passthrough_pools_have_no_vgpu_driver_or_ecc_rule() -> None:
    passthrough = {"mode": "passthrough", "vgpuProfile": None, "gpusPerVm": 1,
                   "hostDriverVersion": "418.66"}
    values = _dev(pool=passthrough, template={"guestDriverVersion": "525.85.05"})
    del values["gpu-mlaas:pools"][0]["vgpuProfile"]
    result = _plan(values)
    assert result["preconditions"] == []
    assert "gpu-mlaas:template.guestDriverVersion" not in [p["path"] for p in result["problems"]]
