"""The GPU vCenter lab: start the extended vCenter simulator on loopback, with verified TLS.

`start_vcsim()` builds the Go binary if needed, makes a throw-away CA with trustme, serves a
certificate for 127.0.0.1/localhost signed by it, and returns a `VcsimLab` describing the
inventory. Clients keep TLS verification on by trusting `lab.ca_file`.

The GPU model (device name, framebuffer, offered vGPU profiles) comes from the project's
profile catalog (`mlaas.profiles`), so the lab and the product agree on names.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import unquote, urlsplit

from lab import tls
from lab.process import StartError, StopsOnExit, start_server
from lab.process import stop as stop_process
from lab.vcsim.build import build as ensure_binary
from mlaas.profiles import ProfileError, gpu_type, lookup

# Names the simulator's VPX model gives its inventory (one datacenter, one cluster).
DATACENTER = "DC0"
CLUSTER = "DC0_C0"
DATASTORE = "LocalDS_0"
NETWORK = "VM Network"
DEFAULT_USER = "administrator@vsphere.local"
DEFAULT_BASE_IMAGE = "ubuntu-base"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CA_FILE_NAME = "vcsim-ca.pem"
# The vSphere API the lab presents (vCenter about + hosts' config.product): vSphere 8.0 U3 by
# default, 6.5 for the white paper's setup (clients then speak the 6.5 schema).
API_VERSIONS = ("8.0.3.0", "6.5")
DEFAULT_API_VERSION = API_VERSIONS[0]
# The NVIDIA vGPU Manager driver every host runs unless told otherwise: vGPU 17 (R550) on
# vSphere 8.0 U3, vGPU 5 (R384, the white paper's) on 6.5 (docs/vsphere-vgpu.md, "The host driver").
DEFAULT_VGPU_MANAGER = {"8.0.3.0": "550.127.06", "6.5": "384.73"}
PASSWORD_ENV = "VCSIM_GPU_PASSWORD"  # read by the Go binary when -password is not given


T = TypeVar("T")


class LabError(RuntimeError):
    """The lab could not be started."""


@dataclass
class VcsimLab(StopsOnExit):
    """A running simulator and what a client needs to reach it. Stop it with `stop()`."""

    url: str = field(repr=False)  # https://USER:PASS@127.0.0.1:PORT/sdk (percent-encoded)
    host_port: str  # "127.0.0.1:PORT"
    user: str
    password: str = field(repr=False)
    ca_file: Path  # PEM bundle of the CA that signed the served certificate
    datacenter: str
    cluster: str
    host_names: tuple[str, ...]
    datastore: str
    network: str
    base_image: str  # powered-off Linux VM with a disk and a NIC, to clone templates from
    gpu_device: str  # graphicsInfo[].deviceName of every GPU
    profiles: tuple[str, ...]  # vGPU profiles the hosts offer once in sharedDirect mode
    api_version: str  # about.apiVersion of vCenter and its hosts
    vgpu_managers: dict[str, str | None]  # host -> vGPU Manager version (None: not installed)
    process: subprocess.Popen[str] = field(repr=False)
    log_file: Path  # the simulator's stderr, removed by stop()
    _tmp: Path | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return self.host_port.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.host_port.rsplit(":", 1)[1])

    def stop(self) -> None:
        """SIGTERM the simulator and wait for its clean exit (kill if it hangs). Idempotent."""
        stop_process(self.process, grace=STOP_TIMEOUT_S)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _profile_spec(name: str) -> str:
    """`name:framebufferGB:maxPerGPU[:mig]` from the catalog, so the lab enforces large-BAR rules,
    slots per GPU and MIG mode; a name the catalog does not know is passed on bare (no such
    rules)."""
    try:
        profile = lookup(name)
    except ProfileError:
        return name
    mig = ":mig" if profile.mig else ""
    return f"{name}:{profile.framebuffer_gb}:{profile.max_per_gpu}{mig}"


def _per_host(what: str, values: Mapping[str, T] | None, hosts: Sequence[str]) -> dict[str, T]:
    """A per-host option as a dict; a host the lab does not have is an error naming it."""
    given = dict(values or {})
    unknown = sorted(set(given) - set(hosts))
    if unknown:
        raise LabError(f"{what} names unknown host(s) {', '.join(unknown)}")
    return given


def start_vcsim(
    *,
    listen: str = "127.0.0.1:0",
    hosts: int = 3,
    gpu: str = "p100",
    gpus_per_host: int = 1,
    profiles: Sequence[str] | None = None,
    profile_prefix: str = "grid_",
    disconnected: Sequence[str] = (),
    base_version: str = "vmx-13",
    base_firmware: str = "bios",
    cores: int = 16,
    sockets: int = 2,
    memory_gb: int = 256,
    ca_dir: Path | None = None,
    user: str = DEFAULT_USER,
    password: str | None = None,
    base_image: str = DEFAULT_BASE_IMAGE,
    session_idle_timeout_s: float = 0,
    api_version: str = DEFAULT_API_VERSION,
    vgpu_manager: str | None = "",
    host_vgpu_manager: Mapping[str, str | None] | None = None,
    mig_gpus: Mapping[str, Sequence[int] | Literal["all"]] | None = None,
    reboot_only: Sequence[str] = (),
    reboot_time_s: float = 1.0,
    vgpu_hotmigrate: bool | None = None,
    guest_tools_start_s: float | None = 0.5,
    reported_framebuffer: Mapping[str, int] | None = None,
) -> VcsimLab:
    """Start a GPU vCenter lab and return it once it accepts connections.

    gpu is a catalog key ("p100", "t4", ...); profiles overrides the profile list the hosts
    offer (default: every catalog profile of that GPU), e.g. to make a host that lacks one.
    profile_prefix is how the hosts' driver spells the catalog's profiles: "grid_" (older
    releases) or "nvidia_" (current ones); an explicit `profiles` list is offered as given.
    disconnected names hosts that start disconnected from vCenter; base_version is the base
    image's virtual hardware version, base_firmware the firmware its guest was installed for
    ("bios", like the white paper's Ubuntu VM, or "efi").
    ca_dir receives the CA bundle (`vcsim-ca.pem`); default: a temporary folder removed by
    `stop()`. password defaults to a random one. session_idle_timeout_s > 0 makes the simulator
    expire idle sessions, to exercise re-login. api_version is the vSphere API the lab
    presents: "8.0.3.0" (vSphere 8.0 U3) or "6.5" (the white paper's vSphere 6.5).
    vgpu_manager is the NVIDIA vGPU Manager driver version of every host ("" = the release's
    default, None = not installed: the host offers no profile); host_vgpu_manager overrides it
    per host name. mig_gpus puts GPUs in MIG mode, by host: GPU indexes or "all" (a GPU in MIG
    mode offers only the MIG-backed profiles, one outside it only the time-sliced ones).
    reboot_only names hosts that, like ESXi 7.0 U1+ hosts (Broadcom KB 318047), activate a
    changed graphics type only on reboot (RebootHost_Task, maintenance mode); a reboot keeps
    the host notResponding for reboot_time_s. vgpu_hotmigrate is vCenter's advanced setting
    `vgpu.hotmigrate.enabled` (None: not set), without which maintenance mode cannot evacuate
    powered-on vGPU VMs. guest_tools_start_s is how long a guest takes from power-on until
    VMware Tools runs and its heartbeat is green (None: the guests have no tools).
    reported_framebuffer makes the hosts' RetrieveVgpuProfileInfo (API 7.0.3) report another
    frame buffer (GB) for the named profiles than the catalog's, so a host disagrees with it.
    """
    if api_version not in API_VERSIONS:
        raise LabError(f"api_version must be one of {', '.join(API_VERSIONS)}, got {api_version!r}")
    gpu_model = gpu_type(gpu)
    if profiles is None:
        profiles = [profile_prefix + p.name.removeprefix("grid_") for p in gpu_model.profiles]
    offered = tuple(profiles)
    if any("," in p or ":" in p or not p.strip() for p in offered):
        raise LabError(f"profiles must be non-empty names without commas, got {offered!r}")
    password = password if password is not None else secrets.token_urlsafe(12)
    host_names = tuple(f"{CLUSTER}_H{i}" for i in range(hosts))
    default_driver = DEFAULT_VGPU_MANAGER.get(api_version) if vgpu_manager == "" else vgpu_manager
    overrides = _per_host("host_vgpu_manager", host_vgpu_manager, host_names)
    drivers = {h: overrides.get(h, default_driver) for h in host_names}
    mig = _per_host("mig_gpus", mig_gpus, host_names)
    _per_host("reboot_only", dict.fromkeys(reboot_only), host_names)
    hotmigrate = "" if vgpu_hotmigrate is None else str(vgpu_hotmigrate).lower()
    mig_flag = ",".join(
        f"{h}={slots if slots == 'all' else '+'.join(str(int(i)) for i in slots)}"
        for h, slots in mig.items()
    )
    if any(v is not None and ("," in v or "=" in v or not v.strip()) for v in drivers.values()):
        raise LabError(f"vGPU Manager versions must be plain version strings, got {drivers!r}")

    binary = ensure_binary()
    tmp = Path(tempfile.mkdtemp(prefix="vcsim-lab-"))
    try:
        files = tls.issue((ca_dir or tmp) / CA_FILE_NAME, tmp, "gpu-mlaas vcsim lab")
        argv = [
            str(binary),
            f"-listen={listen}",
            f"-hosts={hosts}",
            f"-cores={cores}",
            f"-sockets={sockets}",
            f"-memory-gb={memory_gb}",
            f"-gpu-device={gpu_model.device_name}",
            f"-gpus-per-host={gpus_per_host}",
            f"-gpu-framebuffer-mb={gpu_model.framebuffer_gb * 1024}",
            f"-gpu-profiles={','.join(_profile_spec(name) for name in offered)}",
            f"-disconnected-hosts={','.join(disconnected)}",
            f"-base-version={base_version}",
            f"-base-firmware={base_firmware}",
            f"-username={user}",
            f"-tls-cert={files.cert_file}",
            f"-tls-key={files.key_file}",
            f"-base-image={base_image}",
            f"-session-idle-timeout={session_idle_timeout_s}s",
            f"-api-version={api_version}",
            f"-vgpu-manager={default_driver or 'none'}",
            "-host-vgpu-manager=" + ",".join(f"{h}={v or 'none'}" for h, v in overrides.items()),
            f"-mig-gpus={mig_flag}",
            f"-reboot-only-hosts={','.join(reboot_only)}",
            f"-reboot-time={reboot_time_s}s",
            f"-vgpu-hotmigrate={hotmigrate}",
            "-reported-framebuffer="
            + ",".join(f"{k}={int(v)}" for k, v in (reported_framebuffer or {}).items()),
            f"-guest-tools-start={-1 if guest_tools_start_s is None else guest_tools_start_s}s",
        ]
        log_file = tmp / "vcsim.log"
        try:
            with open(log_file, "w") as log:
                # The password goes through the environment, not argv, so `ps` does not show it.
                process, first = start_server(
                    argv,
                    stderr=log,
                    env={**os.environ, PASSWORD_ENV: password},
                    timeout=START_TIMEOUT_S,
                )
        except StartError as exc:
            err = log_file.read_text().strip()
            raise LabError(
                f"vcsim-gpu did not start (exit {exc.returncode}): {err or exc.first_line}"
            ) from None
        finally:
            files.key_file.unlink()  # loaded at startup; no need to keep a private key on disk
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    parts = urlsplit(first)
    if unquote(parts.username or "") != user or unquote(parts.password or "") != password:
        raise LabError("vcsim-gpu printed a URL with unexpected credentials")
    return VcsimLab(
        url=first,
        host_port=f"{parts.hostname}:{parts.port}",
        user=user,
        password=password,
        ca_file=files.ca_file,
        datacenter=DATACENTER,
        cluster=CLUSTER,
        host_names=host_names,
        datastore=DATASTORE,
        network=NETWORK,
        base_image=base_image,
        gpu_device=gpu_model.device_name,
        profiles=offered,
        api_version=api_version,
        vgpu_managers=drivers,
        process=process,
        log_file=log_file,
        _tmp=tmp,
    )
