"""preview / up / preview (no changes) / destroy of the dev stack through the Automation API,
against both labs, with a file backend. Needs the Pulumi CLI, which the build machines lack."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.support.dynamic_host import PROJECT_ROOT

STACK = "automation"
pytestmark = pytest.mark.skipif(
    shutil.which("pulumi") is None,
    reason="the Pulumi CLI is not on PATH (it cannot be installed on the build machines); "
    "this test runs wherever `pulumi` is installed",
)


@pytest.fixture
def stack(tmp_path: Path, vcsim: VcsimLab, vra_lab: VraLab) -> Iterator[Any]:
    from pulumi import automation as auto

    vra_lab.restore_seed()
    (tmp_path / "state").mkdir()
    bundle = tmp_path / "ca.pem"
    bundle.write_text(vcsim.ca_file.read_text() + vra_lab.ca_file.read_text())
    # The dev stack's settings, pointed at this test's labs (the stack file holds no secrets).
    settings = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    config = settings["config"]
    config["vsphere:vsphereServer"] = vcsim.host_port
    config["vsphere:user"] = vcsim.user
    config["gpu-mlaas:vsphereCaBundle"] = str(vcsim.ca_file)
    config["gpu-mlaas:vra"] |= {"url": vra_lab.url, "caBundle": str(vra_lab.ca_file)}
    stack_file = PROJECT_ROOT / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(yaml.safe_dump(settings))
    env = {
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "automation-test",
        "SSL_CERT_FILE": str(bundle),  # the vSphere provider (Go) trusts the lab CAs
    }
    workspace = auto.LocalWorkspace(work_dir=str(PROJECT_ROOT), env_vars=env)
    stack = auto.Stack.create_or_select(STACK, workspace)
    try:
        stack.set_config("vsphere:password", auto.ConfigValue(vcsim.password, secret=True))
        stack.set_config(
            "gpu-mlaas:vra.password", auto.ConfigValue(vra_lab.password, secret=True), path=True
        )
        yield stack
    finally:
        stack.destroy()
        workspace.remove_stack(STACK)
        stack_file.unlink(missing_ok=True)


def test_preview_up_no_change_destroy(stack: Any) -> None:
    stack.preview()
    result = stack.up()
    assert set(result.outputs["catalogItemIds"].value) == {"tensorflow-gpu", "pytorch-gpu"}
    assert result.outputs["slotCapacity"].value["pools"]["p100-pool"]["slotsTotal"] == 12
    stack.preview(expect_no_changes=True)
    stack.destroy()
