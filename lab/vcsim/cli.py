"""`python -m lab vcsim`: run the GPU vCenter lab in the foreground until SIGTERM/SIGINT.

The first line of stdout is the SDK URL with credentials; with --ca-file the CA bundle that
the served certificate chains to is written there, so clients can keep TLS verification on.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from lab.vcsim import API_VERSIONS, DEFAULT_API_VERSION, LabError, start_vcsim
from lab.vcsim.build import BuildError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lab vcsim", description=__doc__)
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT; port 0 picks a free one")
    p.add_argument("--hosts", type=int, default=3, help="ESXi hosts in the cluster")
    p.add_argument("--gpu", default="p100", help="GPU catalog key (p100, t4, a100, ...)")
    p.add_argument("--gpus-per-host", type=int, default=1)
    p.add_argument("--cores", type=int, default=16, help="physical cores per host")
    p.add_argument("--sockets", type=int, default=2)
    p.add_argument("--memory-gb", type=int, default=256)
    p.add_argument(
        "--gpu-profiles",
        help="comma-separated vGPU profiles the hosts offer (default: the catalog's list)",
    )
    p.add_argument(
        "--profile-prefix", default="grid_", help="how the hosts spell profiles: grid_ or nvidia_"
    )
    p.add_argument(
        "--api-version",
        default=DEFAULT_API_VERSION,
        choices=API_VERSIONS,
        help="vSphere API the vCenter and hosts report (default: vSphere 8.0 U3)",
    )
    p.add_argument("--ca-file", type=Path, help="write the CA bundle (PEM) to this path")
    p.add_argument("--user", default=None, help="login user (default administrator@vsphere.local)")
    p.add_argument("--password", default=None, help="login password (default: random)")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    profiles = None
    if args.gpu_profiles is not None:
        profiles = [p.strip() for p in args.gpu_profiles.split(",") if p.strip()]

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Installed before the start, so a signal during startup still ends in a clean stop.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    extra = {k: v for k, v in (("user", args.user), ("password", args.password)) if v is not None}
    try:
        lab = start_vcsim(
            listen=args.listen,
            hosts=args.hosts,
            gpu=args.gpu,
            gpus_per_host=args.gpus_per_host,
            profiles=profiles,
            profile_prefix=args.profile_prefix,
            cores=args.cores,
            sockets=args.sockets,
            memory_gb=args.memory_gb,
            api_version=args.api_version,
            **extra,
        )
    except (LabError, BuildError, ValueError) as err:
        print(f"vcsim lab: {err}", file=sys.stderr)
        return 1
    try:
        if args.ca_file is not None:
            args.ca_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lab.ca_file, args.ca_file)
        print(lab.url, flush=True)
        print(
            f"vcsim lab: {len(lab.host_names)} hosts with {args.gpus_per_host} x "
            f"{lab.gpu_device}, CA {args.ca_file or lab.ca_file}; SIGTERM or Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        while not stop.is_set() and lab.process.poll() is None:
            stop.wait(0.5)
        if lab.process.poll() is not None:
            print(f"vcsim lab: simulator exited with {lab.process.returncode}", file=sys.stderr)
            return 1
    finally:
        lab.stop()
    return 0
