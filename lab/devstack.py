"""`make up` / `make preview` / `make down`: a lab stack against its local labs, real engine.

Lab stacks: dev (vCenter + vRA 7.3 labs) and dev-aria (vCenter + Aria Automation 8 labs).
up: refuse a stack that has no labs, then find the Pulumi CLI (`make tools` builds it into
.tools/bin; `PULUMI=/path/to/pulumi` or a `pulumi` on PATH serve too), so nothing is started when
there is none; start the stack's labs on the ports its stack file names (CA bundles in `.lab/`);
then `pulumi up --yes` with a local file backend, a passphrase kept in the project and the policy
pack enforced, and print the stack outputs. preview: the same labs, `pulumi preview` with the
pack. down: `pulumi destroy`, then stop the labs. The labs' passwords reach the providers as
VSPHERE_PASSWORD / VRA_PASSWORD / ARIA_PASSWORD, so nothing is written into the stack file. An
NVIDIA client configuration token in GPU_MLAAS_LICENSE_TOKEN becomes the secret
`gpu-mlaas:licensing.clientConfigToken` of the stack's working copy (the CLI reads it from
stdin, so it never shows in a process list).
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
from urllib.parse import urlsplit

import yaml

from lab.aria.seed import Seed as AriaSeed
from lab.process import StartError, start_server
from lab.vra.seed import Seed
from mlaas.settings import LAB_STACKS as LAB_STACK_NAMES

PROJECT = Path(__file__).resolve().parents[1]
LAB_DIR = PROJECT / ".lab"
STATE_DIR = PROJECT / ".pulumi-state"
TOOLS_BIN = PROJECT / ".tools" / "bin"
POLICY_PACK = PROJECT / "policy"
# Stack -> the labs it deploys to (the vCenter lab first: the other data-collects from it), for
# each of the lab stacks `mlaas.settings.LAB_STACKS` names.
_LABS = {"dev": ("vcsim", "vra"), "dev-aria": ("vcsim", "aria")}
LAB_STACKS = {stack: _LABS[stack] for stack in LAB_STACK_NAMES}
VCSIM_PASSWORD = "gpu-mlaas-lab"  # the lab's own credential, never a real one
VRA_PASSWORD = Seed().users[0].password  # the vRA lab's seeded user
ARIA_PASSWORD = AriaSeed().users[0].password  # the Aria lab's seeded organization owner
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
        # The engine finds the language host and the dynamic-provider plugin next to it.
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": STATE_DIR.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
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


# What the CLI adds to a stack file for a passphrase-encrypted stack.
_SECRETS_KEYS = ("encryptionsalt", "secretsprovider", "encryptedkey")


def config_file(stack: str) -> Path:
    """The stack file the CLI reads and writes: a copy of the committed `Pulumi.<stack>.yaml`
    under .pulumi-state/, refreshed from it on every run and keeping the stack's own secrets
    settings, so the committed file never changes under the user's feet."""
    STATE_DIR.mkdir(exist_ok=True)
    settings = yaml.safe_load((PROJECT / f"Pulumi.{stack}.yaml").read_text())
    copy = STATE_DIR / f"Pulumi.{stack}.yaml"
    kept = yaml.safe_load(copy.read_text()) if copy.exists() else None
    for key in _SECRETS_KEYS:
        if isinstance(kept, dict) and key in kept:
            settings[key] = kept[key]
    copy.write_text(yaml.safe_dump(settings, sort_keys=False))
    return copy


def _init(cli: str, stack: str, env: dict[str, str]) -> None:
    """`pulumi stack init` writes the stack's secrets settings into the committed stack file
    (it has no --config-file): move them into the copy and put the committed file back."""
    committed = PROJECT / f"Pulumi.{stack}.yaml"
    original = committed.read_bytes()
    try:
        _pulumi(cli, "stack", "init", stack, env=env)
        written = yaml.safe_load(committed.read_text())
    finally:
        committed.write_bytes(original)
    copy = config_file(stack)
    settings = yaml.safe_load(copy.read_text())
    settings.update({k: written[k] for k in _SECRETS_KEYS if k in written})
    copy.write_text(yaml.safe_dump(settings, sort_keys=False))


LICENSE_TOKEN_ENV = "GPU_MLAAS_LICENSE_TOKEN"
LICENSE_TOKEN_KEY = "gpu-mlaas:licensing.clientConfigToken"


def working_copy(cli: str, stack: str, env: dict[str, str]) -> Path:
    """`config_file(stack)`, with the token from the environment set as a secret in it (the copy
    is refreshed from the committed file on every run, so it is set again each time)."""
    copy = config_file(stack)
    token = os.environ.get(LICENSE_TOKEN_ENV)
    if not token:
        return copy
    result = subprocess.run(
        [cli, "config", "set", "--secret", "--path", LICENSE_TOKEN_KEY, "--stack", stack,
         "--config-file", str(copy)],
        cwd=PROJECT, env=env, input=token, text=True, capture_output=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"could not set {LICENSE_TOKEN_KEY} from {LICENSE_TOKEN_ENV}: "
                         f"{result.stderr.strip()}")
    return copy


def _ready(stack: str) -> tuple[str, dict[str, str]] | None:
    """The CLI and its environment, with the stack's labs started and the stack selected; None
    (after one line on stderr) when there is no CLI."""
    lab_listen(stack)  # an unknown stack is refused before anything else
    cli = find_cli()
    if cli is None:
        print(NO_CLI, file=sys.stderr)
        return None
    start_labs(stack)
    env = _environment()
    if _pulumi(cli, "stack", "select", stack, env=env, check=False) != 0:
        _init(cli, stack, env)
    return cli, env


def up(stack: str) -> int:
    ready = _ready(stack)
    if ready is None:
        return 1
    cli, env = ready
    rc = _pulumi(cli, "up", "--yes", "--stack", stack,
                 "--config-file", str(working_copy(cli, stack, env)),
                 "--policy-pack", str(POLICY_PACK), env=env, check=False)
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
    return _pulumi(cli, "preview", "--stack", stack,
                   "--config-file", str(working_copy(cli, stack, env)),
                   "--policy-pack", str(POLICY_PACK), env=env, check=False)


def down(stack: str) -> int:
    rc = 0
    cli = find_cli()
    if cli and (STATE_DIR / "passphrase").exists():
        rc = _pulumi(cli, "destroy", "--yes", "--stack", stack, "--config-file",
                     str(config_file(stack)), env=_environment(), check=False)
    for lab in reversed(LAB_STACKS.get(stack, ("vcsim", "vra"))):
        _stop_lab(lab)
    return rc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab devstack")
    parser.add_argument("action", choices=("up", "preview", "down"))
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    return {"up": up, "preview": preview, "down": down}[args.action](args.stack)
