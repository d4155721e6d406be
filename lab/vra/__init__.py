"""The vRA 7.3 API lab: start it in a subprocess and drive its operator endpoints.

with start_vra() as vra:
    requests.post(f"{vra.url}/identity/api/tokens", verify=vra.ca_file, json={...})
    vra.inject(status=503, count=2, pathPrefix="/composition-service/")
    vra.requests()  # what the client sent, for API-call counts
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.operated import LabError, OperatedLab, Seeded, start_lab

__all__ = ["LabError", "VraLab", "start_vra"]


class VraLab(OperatedLab):
    """A running vRA lab process (`lab.operated.OperatedLab`) and its seed's tenant and
    business group."""

    tenant = Seeded("tenant")
    # The first business group (its name is what a stack's config names).
    business_group = Seeded("businessGroups", 0, "name")
    business_group_id = Seeded("businessGroups", 0, "id")

    def add_source_machine(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/__lab/source-machines", {"name": name})
        return result

    def secured(self) -> dict[str, dict[str, str]]:
        """Component id -> field -> SHA-256 of the secured value the lab holds."""
        result: dict[str, dict[str, str]] = self._call("GET", "/__lab/secured")
        return result


def start_vra(
    *,
    listen: str = "127.0.0.1:0",
    ca_file: Path | None = None,
    seed: dict[str, Any] | None = None,
    vcenter: Any = None,
) -> VraLab:
    """Start `python -m lab vra` and wait for its URL; use as a context manager or call stop().

    vcenter: a running vCenter lab (`VcsimLab`) whose templates this vRA data-collects."""
    return start_lab(VraLab, "vra", "vRA", listen=listen, ca_file=ca_file, seed=seed,
                     vcenter=vcenter, vcenter_env="VRA_LAB_VCENTER")
