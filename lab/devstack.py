"""`make up` / `make preview` / `make down`: the dev stack against the local labs, real engine.

up: find the Pulumi CLI first (`make tools` builds it into .tools/bin; `PULUMI=/path/to/pulumi`
or a `pulumi` on PATH serve too), so nothing is started when there is none; start the labs the
stack's config points at, on fixed ports (CA bundles in `.lab/`); then `pulumi up --yes` with a
local file backend, a passphrase kept in the project and the policy pack enforced, and print the
stack outputs. preview: the same labs, `pulumi preview` with the pack. down: `pulumi destroy`,
then stop the labs. The labs' passwords reach the providers as VSPHERE_PASSWORD / VRA_PASSWORD,
so nothing is written into the stack file.
"""

from __future__ import annotations

import argparse
import json
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
TOOLS_BIN = PROJECT / ".tools" / "bin"
POLICY_PACK = PROJECT / "policy"
VCSIM_LISTEN = "127.0.0.1:18989"
VRA_LISTEN = "127.0.0.1:18443"
VCSIM_PASSWORD = "gpu-mlaas-lab"  # the lab's own credential, never a real one
VRA_PASSWORD = Seed().users[0].password  # the vRA lab's seeded user
# Covers a first build of the vCenter lab binary plus each lab's own start-up wait.
START_TIMEOUT_S = 180.0
NO_CLI = (
    "gpu-mlaas: no Pulumi CLI: run `make tools` (builds it into .tools/bin), or set PULUMI to "
    "your own `pulumi`, then re-run"
)


def find_cli() -> str | None:
    """$PULUMI when set (and nothing else then), else the CLI `make tools` built, else `pulumi`
    on PATH."""
    chosen = os.environ.get("PULUMI")
    candidates = [chosen] if chosen else [str(TOOLS_BIN / "pulumi"), shutil.which("pulumi")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
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
        # The engine finds the language host and the dynamic-provider plugin next to it.
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
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


def _start_labs() -> None:
    vcenter = _start_lab("vcsim", ["--listen", VCSIM_LISTEN, "--ca-file",
                                   str(LAB_DIR / "vcsim-ca.pem"), "--password", VCSIM_PASSWORD])
    # The vRA lab data-collects the templates the stack creates from the vCenter lab.
    _start_lab("vra", ["--listen", VRA_LISTEN, "--ca-file", str(LAB_DIR / "vra-ca.pem"),
                       "--vcenter-ca-file", str(LAB_DIR / "vcsim-ca.pem")],
               env={"VRA_LAB_VCENTER": vcenter})


def _select(cli: str, stack: str, env: dict[str, str]) -> None:
    if _pulumi(cli, "stack", "select", stack, env=env, check=False) != 0:
        _pulumi(cli, "stack", "init", stack, env=env)


def _ready(stack: str) -> tuple[str, dict[str, str]] | None:
    """The CLI and environment for `stack`, labs started and stack selected; None (said on
    stderr) when the CLI is not built."""
    cli = find_cli()
    if cli is None:
        print(NO_CLI, file=sys.stderr)
        return None
    _start_labs()
    env = _environment()
    _select(cli, stack, env)
    return cli, env


def up(stack: str) -> int:
    ready = _ready(stack)
    if ready is None:
        return 1
    cli, env = ready
    rc = _pulumi(cli, "up", "--yes", "--stack", stack, "--policy-pack", str(POLICY_PACK),
                 env=env, check=False)
    if rc == 0:
        outputs = subprocess.run([cli, "stack", "output", "--json", "--stack", stack],
                                 cwd=PROJECT, env=env, capture_output=True, text=True, check=True)
        print(json.dumps(json.loads(outputs.stdout), indent=2))
    return rc


def preview(stack: str) -> int:
    ready = _ready(stack)
    if ready is None:
        return 1
    cli, env = ready
    return _pulumi(cli, "preview", "--stack", stack, "--policy-pack", str(POLICY_PACK),
                   env=env, check=False)


def down(stack: str) -> int:
    rc = 0
    cli = find_cli()
    if cli and (STATE_DIR / "passphrase").exists():
        rc = _pulumi(cli, "destroy", "--yes", "--stack", stack, env=_environment(), check=False)
    _stop_lab("vra")
    _stop_lab("vcsim")
    return rc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab devstack")
    parser.add_argument("action", choices=("up", "preview", "down"))
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    return {"up": up, "preview": preview, "down": down}[args.action](args.stack)
