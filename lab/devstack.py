"""`make up` / `make down`: deploy a lab stack (dev: vCenter + vRA 7.3 labs; dev-aria: vCenter +
Aria Automation 8 labs) with the Pulumi CLI.

up: find (or install) the CLI first, so nothing is started when it cannot be had; start the
stack's labs on the ports its stack file names (CA bundles in `.lab/`); then
`pulumi up --yes --stack <stack>` with a local file backend and a passphrase kept in the project.
The labs' passwords reach the providers as VSPHERE_PASSWORD / VRA_PASSWORD / ARIA_PASSWORD, so
nothing is written into the stack file. down: `pulumi destroy`, then stop the labs.
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
from urllib.parse import urlsplit

import yaml

from lab.aria.seed import Seed as AriaSeed
from lab.process import StartError, start_server
from lab.vra.seed import Seed

PROJECT = Path(__file__).resolve().parents[1]
LAB_DIR = PROJECT / ".lab"
STATE_DIR = PROJECT / ".pulumi-state"
CLI_DIR = PROJECT / ".pulumi-cli"
STACK = "dev"
# Stack -> the labs it deploys to (the vCenter lab first: the other data-collects from it).
LAB_STACKS = {"dev": ("vcsim", "vra"), "dev-aria": ("vcsim", "aria")}
VCSIM_PASSWORD = "gpu-mlaas-lab"  # the lab's own credential, never a real one
VRA_PASSWORD = Seed().users[0].password  # the vRA lab's seeded user
ARIA_PASSWORD = AriaSeed().users[0].password  # the Aria lab's seeded organization owner
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


def lab_listen(stack: str) -> dict[str, str]:
    """Lab name -> HOST:PORT it must listen on, read from the stack file, for a lab stack."""
    if stack not in LAB_STACKS:
        known = ", ".join(sorted(LAB_STACKS))
        raise SystemExit(f"stack {stack!r} has no local labs (lab stacks: {known})")
    config = yaml.safe_load((PROJECT / f"Pulumi.{stack}.yaml").read_text())["config"]
    urls = {
        "vcsim": f"https://{config['vsphere:vsphereServer']}",
        "vra": (config.get("gpu-mlaas:vra") or {}).get("url", ""),
        "aria": (config.get("gpu-mlaas:aria") or {}).get("url", ""),
    }
    return {lab: urlsplit(urls[lab]).netloc for lab in LAB_STACKS[stack]}


def start_labs(stack: str) -> None:
    """Start the stack's labs (each left running if it already is)."""
    listen = lab_listen(stack)
    ca = {lab: str(LAB_DIR / f"{lab}-ca.pem") for lab in listen}
    vcenter = _start_lab("vcsim", ["--listen", listen["vcsim"], "--ca-file", ca["vcsim"],
                                   "--password", VCSIM_PASSWORD])
    # The catalog lab data-collects the templates the stack creates from the vCenter lab.
    if "vra" in listen:
        _start_lab("vra", ["--listen", listen["vra"], "--ca-file", ca["vra"],
                           "--vcenter-ca-file", ca["vcsim"]], env={"VRA_LAB_VCENTER": vcenter})
    if "aria" in listen:
        _start_lab("aria", ["--listen", listen["aria"], "--ca-file", ca["aria"],
                            "--vcenter-ca-file", ca["vcsim"]], env={"ARIA_LAB_VCENTER": vcenter})


def _environment() -> dict[str, str]:
    STATE_DIR.mkdir(exist_ok=True)
    passphrase = STATE_DIR / "passphrase"
    if not passphrase.exists():
        passphrase.write_text(secrets.token_urlsafe(24))
        passphrase.chmod(0o600)
    bundle = LAB_DIR / "lab-ca-bundle.pem"
    cas = [ca for ca in (LAB_DIR / f"{lab}-ca.pem" for lab in ("vcsim", "vra", "aria"))
           if ca.exists()]
    if cas:
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
        "ARIA_PASSWORD": ARIA_PASSWORD,
    }


def _pulumi(cli: str, *args: str, env: dict[str, str], check: bool = True) -> int:
    result = subprocess.run([cli, *args], cwd=PROJECT, env=env)
    if check and result.returncode != 0:
        raise SystemExit(result.returncode)
    return result.returncode


def up(stack: str = STACK) -> int:
    lab_listen(stack)  # an unknown stack is refused before anything else
    cli = find_cli()
    if cli is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    start_labs(stack)
    env = _environment()
    if _pulumi(cli, "stack", "select", stack, env=env, check=False) != 0:
        _pulumi(cli, "stack", "init", stack, env=env)
    return _pulumi(cli, "up", "--yes", "--stack", stack, env=env, check=False)


def down(stack: str = STACK) -> int:
    rc = 0
    cli = _installed_cli()
    if cli and (STATE_DIR / "passphrase").exists():
        rc = _pulumi(cli, "destroy", "--yes", "--stack", stack, env=_environment(), check=False)
    for lab in reversed(LAB_STACKS.get(stack, ("vcsim", "vra"))):
        _stop_lab(lab)
    return rc


def main(argv: list[str]) -> int:
    command, stack = (argv[0] if argv else ""), STACK
    if argv[1:2] == ["--stack"] and len(argv) == 3:
        stack = argv[2]
    elif len(argv) != 1:
        command = ""
    if command == "up":
        return up(stack)
    if command == "down":
        return down(stack)
    print("usage: python -m lab devstack {up|down} [--stack NAME]", file=sys.stderr)
    return 2
