"""The ASGI layer in front of the vRA routes: request log and injected faults (vRA paths only)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lab.traffic import LabStore
from lab.vra.errors import INJECTED, error_response
from lab.vra.identity import bearer_id
from lab.vra.operator import OPERATOR_PREFIX


def _drop_connection(send: Send) -> None:
    """Close the TCP connection with no response at all, as a crashed proxy would.

    ASGI has no message for this, so reach uvicorn's h11 request cycle (the server forces the h11
    protocol) through the `send` it handed us, abort its transport and mark the cycle
    disconnected so uvicorn does not try to answer with a 500.
    """
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("drop fault needs uvicorn's h11 protocol (send is not its cycle)")
    transport.abort()
    cycle.disconnected = True


async def _read_first(receive: Receive) -> Receive:
    """Read the whole request body now; return a `receive` that hands it to the app later.

    A slow server still acts on a request the client sent in full, even when the client has
    stopped waiting for the answer; without this, the app would read the body only after the
    delay, find the client gone and refuse an empty body.
    """
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


class FaultsAndLog:
    def __init__(self, app: ASGIApp, store: LabStore[Any, Any]) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OPERATOR_PREFIX):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        fault = self.store.take_fault(method, path)
        entry = self.store.record(method, path, unquote_plus(scope["query_string"].decode()), fault)

        async def send_and_log(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self.store.lock:
                    entry["status"] = message["status"]
            await send(message)

        if fault is not None:
            if fault.latency_ms:
                receive = await _read_first(receive)
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.expire_token:
                headers = dict(scope["headers"])
                token_id = bearer_id(headers.get(b"authorization", b"").decode())
                if token_id:
                    self.store.expire_token(token_id)
            if fault.drop:
                _drop_connection(send)
                return
            if fault.status is not None:
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else None
                response = error_response(
                    fault.status, INJECTED, f"Injected fault: HTTP {fault.status}", extra
                )
                await response(scope, receive, send_and_log)
                return
        await self.app(scope, receive, send_and_log)
