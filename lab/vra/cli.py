"""`python -m lab vra`: serve the vRA 7.3 lab over HTTPS until SIGTERM/SIGINT.

The first line on stdout is the base URL, printed once the server accepts connections.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lab.serve import listen_address, serve_https
from lab.vra.app import create_app
from lab.vra.collector import VcenterCollector
from lab.vra.seed import Seed

DEFAULT_CA_FILE = Path(".lab/vra-ca.pem")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab vra", description=__doc__)
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 0),
        metavar="HOST:PORT",
        help="address to serve on; port 0 picks a free one (default 127.0.0.1:0)",
    )
    parser.add_argument(
        "--ca-file",
        type=Path,
        default=DEFAULT_CA_FILE,
        metavar="PATH",
        help=f"where to write the lab's CA bundle (default {DEFAULT_CA_FILE})",
    )
    parser.add_argument(
        "--catalog-delay",
        type=float,
        default=None,
        metavar="S",
        help="seconds between blueprint publish and its catalog item (default 0.3)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=None,
        metavar="S",
        help="bearer token lifetime in seconds (default 8 h)",
    )
    parser.add_argument(
        "--vcenter",
        metavar="URL",
        help="data-collect templates from this vCenter (https://USER:PASS@HOST:PORT/sdk), "
        "as vRA does from its vSphere endpoint; env VRA_LAB_VCENTER also works",
    )
    parser.add_argument(
        "--vcenter-ca-file",
        type=Path,
        metavar="PATH",
        help="CA bundle of that vCenter's certificate (TLS stays verified)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    for flag, value in (
        ("--catalog-delay", args.catalog_delay),
        ("--token-lifetime", args.token_lifetime),
    ):
        if value is not None and value < 0:
            print(f"{flag} must not be negative", file=sys.stderr)
            return 2
    overrides: dict[str, float] = {}
    if args.catalog_delay is not None:
        overrides["catalogItemDelaySeconds"] = args.catalog_delay
    if args.token_lifetime is not None:
        overrides["tokenLifetimeSeconds"] = args.token_lifetime
    seed = Seed.model_validate(overrides)
    vcenter = args.vcenter or os.environ.get("VRA_LAB_VCENTER")
    collector = None
    if vcenter:
        if args.vcenter_ca_file is None:
            print("--vcenter needs --vcenter-ca-file", file=sys.stderr)
            return 2
        collector = VcenterCollector(vcenter, args.vcenter_ca_file)
    app, _ = create_app(seed, collector)
    serve_https(app, args.listen, args.ca_file, "gpu-mlaas vRA lab")
    return 0
