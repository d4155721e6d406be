"""The vRA lab data-collects templates from the vCenter lab, as vRA does from its endpoint."""

from __future__ import annotations

from pathlib import Path

from pyVim.task import WaitForTask
from pyVmomi import vim

from lab.vcsim import start_vcsim
from lab.vcsim.client import connect
from lab.vra import start_vra
from tests.support.managed import Managed
from tests.support.vra_fixture import VraApi


def test_a_new_vcenter_template_becomes_a_source_machine(tmp_path: Path) -> None:
    with start_vcsim(hosts=1, ca_dir=tmp_path) as vcsim, \
            start_vra(ca_file=tmp_path / "vra.pem", vcenter=vcsim) as vra:
        api = VraApi(vra)
        api.login()

        def lookup(name: str) -> list[dict[str, object]]:
            response = api.get("/iaas-proxy-provider/api/source-machines",
                               params={"$filter": f"name eq '{name}'"})
            assert response.status_code == 200, response.text
            return list(response.json()["content"])

        assert lookup("fresh-template") == []
        assert lookup(vcsim.base_image) == []  # a plain VM is no source machine
        with connect(vcsim) as si:
            content: Managed = si.content
            view = content.viewManager.CreateContainerView(
                content.rootFolder, [vim.VirtualMachine], True)
            base = next(vm for vm in view.view if vm.name == vcsim.base_image)
            view.Destroy()
            base.MarkAsTemplate()
            WaitForTask(base.Rename_Task("fresh-template"))
        found = lookup("fresh-template")
        assert [m["name"] for m in found] == ["fresh-template"]
        assert found == lookup("fresh-template")  # same id on every collection
