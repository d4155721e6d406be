"""Two stacks with the same config against the same labs (issue 15): the second never adopts,
changes or deletes what the first made in vRA. It fails with one clear line naming the object
and its owner, and its destroy leaves every vRA object of the first where it was."""

from __future__ import annotations

from typing import Any

import pytest

from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.support.dynamic_host import DynamicHost, ProviderCallError
from tests.support.engine import LabEngine, stack_config

KINDS = ("softwareComponents", "blueprints", "catalogItems", "services")


def _vra_objects(vra: VraLab) -> dict[str, Any]:
    state = vra.state()
    objects = {kind: sorted(state[kind]["ids"]) for kind in KINDS}
    objects["entitlements"] = sorted(state["entitlements"]["activeIds"])
    return objects


def test_a_second_stack_fails_clearly_and_its_destroy_spares_the_first(
    labs: tuple[VcsimLab, VraLab],
) -> None:
    vcsim, vra = labs
    config, secret_keys = stack_config(vcsim, vra)
    with DynamicHost(config=config) as host:
        dev = LabEngine(host=host, stack="dev")
        outputs = dev.up(config, secret_keys)
        first = _vra_objects(vra)
        assert all(first.values()), first

        prod = LabEngine(host=host, stack="prod")
        with pytest.raises(ProviderCallError) as failed:
            prod.up(config, secret_keys)
        message = failed.value.details.strip().splitlines()[-1]
        assert "already exists and it belongs to gpu-mlaas/dev/" in message
        assert "not to gpu-mlaas/prod/" in message and "`import`" in message
        # Nothing of dev's was adopted into prod's state.
        dev_ids = {r.id for r in dev.state.values()}
        assert not dev_ids & {r.id for k, r in prod.state.items() if "/vra:" in k
                              and "CatalogService" not in k}
        prod.destroy()
        assert _vra_objects(vra) == first

        # dev is whole: a further run changes nothing, its catalog items are the same.
        assert dev.up(config, secret_keys)["catalogItemIds"] == outputs["catalogItemIds"]
        assert {op for op, key in dev.operations if "/vra:" in key} == {"same"}
        dev.destroy()
        assert all(not ids for ids in _vra_objects(vra).values())
