"""What the vRA and Aria API labs share as processes: start `python -m lab <kind>` with its own
CA, wait for the URL it prints, drive its operator endpoints under `/__lab/` (seed, reset,
faults, request log, state) and stop it. `lab.vra.VraLab` and `lab.aria.AriaLab` add what is
their lab's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, TypeVar

import requests

from lab.process import StartError, StopsOnExit, start_server
from lab.process import stop as stop_process

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
OPERATOR_TIMEOUT_S = 10.0


class LabError(RuntimeError):
    """The lab did not start, or an operator call was refused."""


class Seeded:
    """A value of a lab's current seed, by its path in the seed's wire form
    (`Seeded("users", 0, "username")`), as a read-only attribute."""

    def __init__(self, *path: str | int) -> None:
        self.path = path

    def __get__(self, lab: OperatedLab, owner: type | None = None) -> str:
        value: Any = lab.seed
        for part in self.path:
            value = value[part]
        return str(value)


class OperatedLab(StopsOnExit):
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

    # The credentials of the current seed's first user.
    username = Seeded("users", 0, "username")
    password = Seeded("users", 0, "password")

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
        """Replace seed parts (their wire names, e.g. the vRA lab's tenant, users,
        businessGroups, principals, sourceMachines, catalogItemDelaySeconds,
        tokenLifetimeSeconds), then reset."""
        self._seed = self._call("PUT", "/__lab/seed", parts)
        return self.seed

    def restore_seed(self) -> dict[str, Any]:
        """Back to the seed the lab started with, then reset."""
        self._seed = self._call("DELETE", "/__lab/seed")
        return self.seed

    def inject(self, **fault: Any) -> None:
        """Fault the next matching API calls: method, pathPrefix, count, status, retryAfter,
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




L = TypeVar("L", bound=OperatedLab)


def start_lab(
    lab_class: type[L],
    kind: str,
    label: str,
    *,
    listen: str,
    ca_file: Path | None,
    seed: dict[str, Any] | None,
    vcenter: Any,
    vcenter_env: str,
) -> L:
    """Start `python -m lab <kind>` and wait for its URL (the lab `label` in messages). Its CA
    goes to `ca_file`, or to a temporary folder removed at stop. `vcenter`: a running vCenter
    lab (`VcsimLab`) the lab reads templates from; its URL travels in `vcenter_env`, not on the
    command line (it holds a password)."""
    cleanup = None
    if ca_file is None:
        cleanup = Path(tempfile.mkdtemp(prefix=f"{kind}-lab-ca-"))
        ca_file = cleanup / "ca.pem"
    log = tempfile.TemporaryFile("w+")
    argv = [sys.executable, "-m", "lab", kind, "--listen", listen, "--ca-file", str(ca_file)]
    env = dict(os.environ)
    if vcenter is not None:
        argv += ["--vcenter-ca-file", str(vcenter.ca_file)]
        env[vcenter_env] = vcenter.url
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
            f"{label} lab did not start (first line {exc.first_line!r}):\n{details}"
        ) from None
    lab = lab_class(proc, url, ca_file, cleanup, log)
    if seed:
        lab.set_seed(**seed)
    return lab
