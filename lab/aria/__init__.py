"""The Aria Automation 8 API lab: start it in a subprocess and drive its operator endpoints.

with start_aria() as aria:
    requests.post(f"{aria.url}/csp/gateway/am/api/login?access_token", verify=aria.ca_file, ...)
    aria.inject(status=503, count=2, pathPrefix="/blueprint/")
    aria.requests()  # what the client sent, for API-call counts

Operator calls, the request log and stopping are every lab's (`lab.operated.OperatedLab`).
"""

from __future__ import annotations

from typing import Any

from lab.operated import OperatedLab, start_lab


class AriaLab(OperatedLab):
    """A running Aria lab process; its first seeded user is an organization owner."""

    def add_fabric_image(self, name: str) -> list[str]:
        result: list[str] = self._call("POST", "/__lab/fabric-images", {"name": name})
        return result


def start_aria(
    *, listen: str = "127.0.0.1:0", seed: dict[str, Any] | None = None, vcenter: Any = None
) -> AriaLab:
    """Start `python -m lab aria` and wait for its URL; use as a context manager or call stop().

    vcenter: a running vCenter lab (`VcsimLab`) whose templates become fabric images."""
    return start_lab(AriaLab, "aria", "Aria", listen=listen, ca_file=None, seed=seed,
                     vcenter=vcenter, vcenter_env="ARIA_LAB_VCENTER")
