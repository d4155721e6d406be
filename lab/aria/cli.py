"""`python -m lab aria`: serve the Aria Automation 8 API lab over HTTPS until SIGTERM/SIGINT.

The first line on stdout is the base URL, printed once the server accepts connections.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lab.aria.app import create_app
from lab.aria.seed import Seed
from lab.serve import listen_address, serve_https
from lab.vra.collector import VcenterCollector

DEFAULT_CA_FILE = Path(".lab/aria-ca.pem")
VCENTER_ENV = "ARIA_LAB_VCENTER"  # holds a password: never on the command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab aria", description=__doc__)
    parser.add_argument("--listen", type=listen_address, default=("127.0.0.1", 0),
                        metavar="HOST:PORT", help="port 0 picks a free one (default 127.0.0.1:0)")
    parser.add_argument("--ca-file", type=Path, default=DEFAULT_CA_FILE, metavar="PATH",
                        help=f"where to write the lab's CA bundle (default {DEFAULT_CA_FILE})")
    for flag, what in (("--catalog-delay", "seconds from a content source import to its items"),
                       ("--token-lifetime", "bearer token lifetime in seconds")):
        parser.add_argument(flag, type=float, default=None, metavar="S", help=what)
    parser.add_argument("--vcenter-ca-file", type=Path, metavar="PATH",
                        help=f"CA bundle of the vCenter in {VCENTER_ENV} "
                             "(https://USER:PASS@HOST:PORT/sdk) whose templates become fabric "
                             "images, as Aria data-collects them")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        key: value
        for key, value in (("catalogItemDelaySeconds", args.catalog_delay),
                           ("tokenLifetimeSeconds", args.token_lifetime))
        if value is not None
    }
    if any(value < 0 for value in overrides.values()):
        print("--catalog-delay and --token-lifetime must not be negative", file=sys.stderr)
        return 2
    collector = None
    vcenter = os.environ.get(VCENTER_ENV)
    if vcenter:
        if args.vcenter_ca_file is None:
            print(f"{VCENTER_ENV} needs --vcenter-ca-file", file=sys.stderr)
            return 2
        collector = VcenterCollector(vcenter, args.vcenter_ca_file)
    app, _ = create_app(Seed.model_validate(overrides), collector)
    serve_https(app, args.listen, args.ca_file, "gpu-mlaas Aria lab")
    return 0
