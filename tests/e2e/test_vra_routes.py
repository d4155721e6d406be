"""The real program's vRA calls over a whole stack lifecycle (create, no-change, refresh,
destroy; `bench.vra_calls.lifecycle`, each step in its own provider process) are all routes of
docs/vra7-routes.md that it marks as used by the providers. The update step is covered at the
provider level (tests/providers/vra/test_routes.py)."""

from __future__ import annotations

from bench.vra_calls import lifecycle
from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.support.vra_routes import route_of


def test_program_lifecycle_calls_only_documented_routes(labs: tuple[VcsimLab, VraLab]) -> None:
    steps, _ = lifecycle(*labs)
    assert [step.name for step in steps] == ["create", "no-change", "refresh", "destroy"]
    for step in steps:
        calls = {(entry["method"], entry["path"]) for entry in step.log}
        outside = sorted(call for call in calls if route_of(*call) is None)
        assert outside == [], f"{step.name}: calls outside docs/vra7-routes.md"
        unmarked = sorted(call for call in calls if not route_of(*call).used)  # type: ignore[union-attr]
        assert unmarked == [], f"{step.name}: calls the table marks as lab-only"
    destroy = {(e["method"], e["path"].split("/")[3]) for e in steps[-1].log}
    assert ("DELETE", "services") not in destroy and ("DELETE", "entitlements") not in destroy
