"""`make up` / `make down`: deploy the dev stack against both local labs with the Pulumi CLI.

up: find (or install) the CLI first, so nothing is started when it cannot be had; start the
vCenter and vRA labs on the dev stack's fixed ports (CA bundles in `.lab/`); then
`pulumi up --yes --stack dev` with a local file backend and a passphrase kept in the project.
The labs' passwords reach the providers as VSPHERE_PASSWORD / VRA_PASSWORD, so nothing is
written into Pulumi.dev.yaml. down: `pulumi destroy`, then stop the labs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.process import StartError, start_server
from lab.vra.seed import Seed

PROJECT = Path(__file__).resolve().parents[1]
LAB_DIR = PROJECT / ".lab"
STATE_DIR = PROJECT / ".pulumi-state"
CLI_DIR = PROJECT / ".pulumi-cli"
STACK = "dev"
VCSIM_LISTEN = "127.0.0.1:18989"
VRA_LISTEN = "127.0.0.1:18443"
VCSIM_PASSWORD = "gpu-mlaas-lab"  # the lab's own credential, never a real one
VRA_PASSWORD = Seed().users[0].password  # the vRA lab's seeded user
# Covers a first build of the vCenter lab binary plus each lab's own start-up wait.
START_TIMEOUT_S = 180.0
INSTALL_HINT = (
    "gpu-mlaas: the Pulumi CLI is needed for `make up` and could not be installed here; "
    "install it (https://www.pulumi.com/docs/install/) so `pulumi` is on PATH, then re-run"
)


def _installed_cli() -> str | None:
    """`pulumi` on PATH or a project-local install."""
    for candidate in (shutil.which("pulumi"), CLI_DIR / "bin" / "pulumi"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


def find_cli() -> str | None:
    """`pulumi` on PATH, a project-local install, or a fresh project-local install."""
    if installed := _installed_cli():
        return installed
    if os.environ.get("GPU_MLAAS_NO_CLI_INSTALL"):  # tests: never download a CLI
        return None
    try:
        from pulumi.automation import PulumiCommand

        command = PulumiCommand.install(root=str(CLI_DIR))
        return str(Path(command.command))
    except Exception:  # any failure (no network, no binary) means: no CLI here
        return None


def _start_lab(kind: str, argv: list[str], env: dict[str, str] | None = None) -> str:
    """Start a lab in the background (its own session, log in .lab/); returns its URL."""
    LAB_DIR.mkdir(exist_ok=True)
    pid_file = LAB_DIR / f"{kind}.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        print(f"{kind} lab already running (pid {pid_file.read_text().strip()})")
        return (LAB_DIR / f"{kind}.url").read_text()
    log_file = LAB_DIR / f"{kind}.log"
    try:
        with log_file.open("w") as log:
            process, url = start_server(
                [sys.executable, "-m", "lab", kind, *argv],
                cwd=PROJECT,
                stderr=log,
                env={**os.environ, **(env or {})},
                timeout=START_TIMEOUT_S,
                detach=True,  # keeps running after `make up` returns
            )
    except StartError as exc:
        raise SystemExit(f"the {kind} lab did not start ({exc}); see {log_file}") from None
    pid_file.write_text(str(process.pid))
    url_file = LAB_DIR / f"{kind}.url"
    url_file.write_text(url)
    url_file.chmod(0o600)
    print(f"{kind} lab: {url.split('@')[-1]} (pid {process.pid})")
    return url


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _stop_lab(kind: str) -> None:
    pid_file = LAB_DIR / f"{kind}.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.1)
    pid_file.unlink()
    (LAB_DIR / f"{kind}.url").unlink(missing_ok=True)
    print(f"{kind} lab stopped")


def _environment() -> dict[str, str]:
    STATE_DIR.mkdir(exist_ok=True)
    passphrase = STATE_DIR / "passphrase"
    if not passphrase.exists():
        passphrase.write_text(secrets.token_urlsafe(24))
        passphrase.chmod(0o600)
    bundle = LAB_DIR / "lab-ca-bundle.pem"
    cas = [LAB_DIR / "vcsim-ca.pem", LAB_DIR / "vra-ca.pem"]
    if all(ca.exists() for ca in cas):
        bundle.write_text("".join(ca.read_text() for ca in cas))
    return {
        **os.environ,
        "PULUMI_BACKEND_URL": STATE_DIR.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # Go (the vSphere provider) and Python both trust the labs' CAs through this bundle.
        "SSL_CERT_FILE": str(bundle),
        "VSPHERE_PASSWORD": VCSIM_PASSWORD,
        "VRA_PASSWORD": VRA_PASSWORD,
    }


def _pulumi(cli: str, *args: str, env: dict[str, str], check: bool = True) -> int:
    result = subprocess.run([cli, *args], cwd=PROJECT, env=env)
    if check and result.returncode != 0:
        raise SystemExit(result.returncode)
    return result.returncode


def up() -> int:
    cli = find_cli()
    if cli is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    vcenter = _start_lab("vcsim", ["--listen", VCSIM_LISTEN, "--ca-file",
                                   str(LAB_DIR / "vcsim-ca.pem"), "--password", VCSIM_PASSWORD])
    # The vRA lab data-collects the templates the stack creates from the vCenter lab.
    _start_lab("vra", ["--listen", VRA_LISTEN, "--ca-file", str(LAB_DIR / "vra-ca.pem"),
                       "--vcenter-ca-file", str(LAB_DIR / "vcsim-ca.pem")],
               env={"VRA_LAB_VCENTER": vcenter})
    env = _environment()
    if _pulumi(cli, "stack", "select", STACK, env=env, check=False) != 0:
        _pulumi(cli, "stack", "init", STACK, env=env)
    return _pulumi(cli, "up", "--yes", "--stack", STACK, env=env, check=False)


def down() -> int:
    rc = 0
    cli = _installed_cli()
    if cli and (STATE_DIR / "passphrase").exists():
        rc = _pulumi(cli, "destroy", "--yes", "--stack", STACK, env=_environment(), check=False)
    _stop_lab("vra")
    _stop_lab("vcsim")
    return rc


def main(argv: list[str]) -> int:
    if argv == ["up"]:
        return up()
    if argv == ["down"]:
        return down()
    print("usage: python -m lab devstack {up|down}", file=sys.stderr)
    return 2
