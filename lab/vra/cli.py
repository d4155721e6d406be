"""`python -m lab vra`: serve the vRA 7.3 lab over HTTPS until SIGTERM/SIGINT.

The first line on stdout is the base URL, printed once the server accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn

from lab import tls
from lab.vra.app import create_app
from lab.vra.collector import VcenterCollector
from lab.vra.seed import Seed

DEFAULT_CA_FILE = Path(".lab/vra-ca.pem")


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal is the normal way to stop the lab: shut down and exit 0 instead of letting
        # uvicorn re-raise it after shutdown.
        self.should_exit = True


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab vra", description=__doc__)
    parser.add_argument(
        "--listen",
        type=_listen,
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


async def _serve(server: _Server, sock: socket.socket, url: str) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(url, flush=True)
    await task


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
    host, port = args.listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets, and without it every
    # TLS response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # The certificate names 127.0.0.1 and localhost, so a wildcard bind is announced as loopback.
    url_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(
        host, f"[{host}]" if ":" in host else host
    )
    vcenter = args.vcenter or os.environ.get("VRA_LAB_VCENTER")
    collector = None
    if vcenter:
        if args.vcenter_ca_file is None:
            print("--vcenter needs --vcenter-ca-file", file=sys.stderr)
            return 2
        collector = VcenterCollector(vcenter, args.vcenter_ca_file)
    app, _ = create_app(seed, collector)
    with tempfile.TemporaryDirectory(prefix="vra-lab-") as workdir:
        files = tls.issue(args.ca_file, Path(workdir), "gpu-mlaas vRA lab")
        config = uvicorn.Config(
            app,
            http="h11",  # the drop fault reaches into h11's request cycle (lab/vra/faults.py)
            lifespan="off",
            log_level="warning",
            access_log=False,
            ssl_certfile=str(files.cert_file),
            ssl_keyfile=str(files.key_file),
            # Idle TLS keep-alive clients would otherwise hold the stop up (close_notify wait).
            timeout_graceful_shutdown=1,
        )
        asyncio.run(_serve(_Server(config), sock, f"https://{url_host}:{bound_port}"))
    return 0
