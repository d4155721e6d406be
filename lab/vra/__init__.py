"""The vRA 7.3 API lab: start it in a subprocess and drive its operator endpoints.

with start_vra() as vra:
    requests.post(f"{vra.url}/identity/api/tokens", verify=vra.ca_file, json={...})
    vra.inject(status=503, count=2, pathPrefix="/composition-service/")
    vra.requests()  # what the client sent, for API-call counts
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import requests

from lab.process import StartError, StopsOnExit, start_server
from lab.process import stop as stop_process

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
OPERATOR_TIMEOUT_S = 10.0


class LabError(RuntimeError):
    """The lab did not start, or an operator call was refused."""


class VraLab(StopsOnExit):
    """A running lab process. Operator calls verify TLS against the lab's own CA."""

    def __init__(
        self,
        proc: subprocess.Popen[str],
        url: str,
        ca_file: Path,
        cleanup: Path | None,
        log: IO[str],
    ) -> None:
        self._proc = proc
        self._log = log
        self.url = url
        self.ca_file = ca_file
        self._cleanup = cleanup
        self._http = requests.Session()
        self._seed: dict[str, Any] = self._call("GET", "/__lab/seed")
        self.returncode: int | None = None

    # -- credentials of the current seed --------------------------------------------------------

    @property
    def tenant(self) -> str:
        return str(self._seed["tenant"])

    @property
    def username(self) -> str:
        return str(self._seed["users"][0]["username"])

    @property
    def password(self) -> str:
        return str(self._seed["users"][0]["password"])

    @property
    def business_group(self) -> str:
        """Name of the first business group (what a stack's config names)."""
        return str(self._seed["businessGroups"][0]["name"])

    @property
    def business_group_id(self) -> str:
        return str(self._seed["businessGroups"][0]["id"])

    @property
    def seed(self) -> dict[str, Any]:
        return dict(self._seed)

    # -- operator calls -------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(
            method,
            self.url + path,
            json=body,
            timeout=OPERATOR_TIMEOUT_S,
            # Per request: a session-level verify loses to REQUESTS_CA_BUNDLE from the environment.
            verify=str(self.ca_file),
        )
        if response.status_code >= 400:
            raise LabError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def reset(self) -> None:
        """Back to the current seed: no objects, tokens, faults or logged requests."""
        self._call("POST", "/__lab/reset")

    def set_seed(self, **parts: Any) -> dict[str, Any]:
        """Replace seed parts (wire names: tenant, users, businessGroups, principals,
        sourceMachines, catalogItemDelaySeconds, tokenLifetimeSeconds), then reset."""
        self._seed = self._call("PUT", "/__lab/seed", parts)
        return self.seed

    def restore_seed(self) -> dict[str, Any]:
        """Back to the seed the lab started with, then reset."""
        self._seed = self._call("DELETE", "/__lab/seed")
        return self.seed

    def add_source_machine(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/__lab/source-machines", {"name": name})
        return result

    def inject(self, **fault: Any) -> None:
        """Fault the next matching vRA calls: method, pathPrefix, count, status, retryAfter,
        latencyMs, drop, expireToken (see lab/vra/README.md)."""
        self._call("POST", "/__lab/faults", fault)

    def clear_faults(self) -> None:
        self._call("DELETE", "/__lab/faults")

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/__lab/requests")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/__lab/requests")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/__lab/state")
        return result

    def secured(self) -> dict[str, dict[str, str]]:
        """Component id -> field -> SHA-256 of the secured value the lab holds."""
        result: dict[str, dict[str, str]] = self._call("GET", "/__lab/secured")
        return result

    # -- life cycle -----------------------------------------------------------------------------

    def server_log(self) -> str:
        """What the lab wrote to stderr so far (uvicorn warnings, tracebacks)."""
        self._log.seek(0)
        return self._log.read()

    def stop(self) -> int:
        """SIGTERM the lab and wait; returns its exit code (0 on a clean stop)."""
        if self.returncode is None:
            self._http.close()
            self.returncode = stop_process(self._proc, grace=STOP_TIMEOUT_S)
            self._log.close()
            if self._cleanup:
                shutil.rmtree(self._cleanup, ignore_errors=True)
        return self.returncode


def start_vra(
    *,
    listen: str = "127.0.0.1:0",
    ca_file: Path | None = None,
    seed: dict[str, Any] | None = None,
    vcenter: Any = None,
) -> VraLab:
    """Start `python -m lab vra` and wait for its URL; use as a context manager or call stop().

    vcenter: a running vCenter lab (`VcsimLab`) whose templates this vRA data-collects."""
    cleanup = None
    if ca_file is None:
        cleanup = Path(tempfile.mkdtemp(prefix="vra-lab-ca-"))
        ca_file = cleanup / "ca.pem"
    log = tempfile.TemporaryFile("w+")
    argv = [sys.executable, "-m", "lab", "vra", "--listen", listen, "--ca-file", str(ca_file)]
    env = dict(os.environ)
    if vcenter is not None:
        argv += ["--vcenter-ca-file", str(vcenter.ca_file)]
        env["VRA_LAB_VCENTER"] = vcenter.url  # not on the command line: it holds a password
    try:
        proc, url = start_server(
            argv, stderr=log, env=env, timeout=START_TIMEOUT_S, cwd=PROJECT_ROOT
        )
    except StartError as exc:
        log.seek(0)
        details = log.read()[-4000:]
        log.close()
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise LabError(
            f"vRA lab did not start (first line {exc.first_line!r}):\n{details}"
        ) from None
    lab = VraLab(proc, url, ca_file, cleanup, log)
    if seed:
        lab.set_seed(**seed)
    return lab
