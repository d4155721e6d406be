"""Serve a lab's ASGI app over HTTPS with a throw-away CA (lab/tls.py) until SIGTERM/SIGINT,
printing the base URL as the first stdout line once the server accepts connections."""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from lab import tls


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal is the normal way to stop the lab: shut down and exit 0 instead of letting
        # uvicorn re-raise it after shutdown.
        self.should_exit = True


def listen_address(value: str) -> tuple[str, int]:
    """argparse type of `--listen HOST:PORT`."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


async def _serve(server: _Server, sock: socket.socket, url: str) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(url, flush=True)
    await task


def serve_https(app: ASGIApp, listen: tuple[str, int], ca_file: Path, organization: str) -> None:
    """Bind `listen`, write the CA bundle to `ca_file`, serve until a signal."""
    host, port = listen
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
    with tempfile.TemporaryDirectory(prefix="lab-tls-") as workdir:
        files = tls.issue(ca_file, Path(workdir), organization)
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
