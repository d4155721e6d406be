"""The Aria Automation 8 API lab: start it in a subprocess and drive its operator endpoints.

with start_aria() as aria:
    requests.post(f"{aria.url}/csp/gateway/am/api/login?access_token", verify=aria.ca_file, ...)
    aria.inject(status=503, count=2, pathPrefix="/blueprint/")
    aria.requests()  # what the client sent, for API-call counts

Operator calls, the request log and stopping are the vRA lab's (`lab.vra.VraLab`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from lab.process import StartError, start_server
from lab.vra import PROJECT_ROOT, START_TIMEOUT_S, LabError, VraLab


class AriaLab(VraLab):
    """A running Aria lab process; its first seeded user is an organization owner."""

    def add_fabric_image(self, name: str) -> list[str]:
        result: list[str] = self._call("POST", "/__lab/fabric-images", {"name": name})
        return result


def start_aria(
    *, listen: str = "127.0.0.1:0", seed: dict[str, Any] | None = None, vcenter: Any = None
) -> AriaLab:
    """Start `python -m lab aria` and wait for its URL; use as a context manager or call stop().

    vcenter: a running vCenter lab (`VcsimLab`) whose templates become fabric images."""
    cleanup = Path(tempfile.mkdtemp(prefix="aria-lab-ca-"))
    ca_file = cleanup / "ca.pem"
    log = tempfile.TemporaryFile("w+")
    argv = [sys.executable, "-m", "lab", "aria", "--listen", listen, "--ca-file", str(ca_file)]
    env = dict(os.environ)
    if vcenter is not None:
        argv += ["--vcenter-ca-file", str(vcenter.ca_file)]
        env["ARIA_LAB_VCENTER"] = vcenter.url
    try:
        proc, url = start_server(argv, stderr=log, env=env, timeout=START_TIMEOUT_S,
                                 cwd=PROJECT_ROOT)
    except StartError as exc:
        log.seek(0)
        details = log.read()[-4000:]
        log.close()
        shutil.rmtree(cleanup, ignore_errors=True)
        raise LabError(f"Aria lab did not start ({exc}):\n{details}") from None
    lab = AriaLab(proc, url, ca_file, cleanup, log)
    if seed:
        lab.set_seed(**seed)
    return lab
