"""The one connection registry of every backend (vCenter, vRA, Aria): one client per process per
`ConnectionKey`, built lazily under a lock (the provider host runs up to four calls at once on one
provider instance, and nothing network-related may sit on that instance: dill pickles it into
state), closed when the process exits.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S", bound=Hashable)  # what a client is built from
C = TypeVar("C")  # the client


@dataclass(frozen=True)
class Trust:
    """How a connection checks the server's certificate."""

    verify: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class ConnectionKey:
    """The key of every connection registry: which server (its base URL), which scope inside it
    (the vRA tenant; "" where the API has none), as whom, with which trust. Secrets are never
    part of it: a changed password reaches the existing connection through its settings, while a
    resource asking for verified TLS never shares a connection built without it."""

    server: str
    scope: str
    account: str
    trust: Trust

    def __str__(self) -> str:
        where = f"{self.server} ({self.scope})" if self.scope else self.server
        return f"{self.account} at {where}"


class Registry(Generic[S, C]):
    """Clients by `ConnectionKey`. A client is built from its settings (credentials, timeouts:
    what the key leaves out); a later `configure()` that changes them replaces the client, and
    the replaced one is still closed at exit (a call in flight may be using it). With `retune`,
    the client takes the new settings in place instead (a vSphere session keeps running; the
    next login uses the new password)."""

    def __init__(self, build: Callable[[S], C], close: Callable[[C], None],
                 retune: Callable[[C, S], None] | None = None) -> None:
        self._build, self._close, self._retune = build, close, retune
        self._lock = threading.Lock()
        self._clients: dict[ConnectionKey, tuple[S, C]] = {}
        self._replaced: list[C] = []
        atexit.register(self.close_all)

    def get(self, key: ConnectionKey, settings: S) -> C:
        with self._lock:
            known = self._clients.get(key)
            if known is not None and known[0] != settings and self._retune is not None:
                self._retune(known[1], settings)
                known = self._clients[key] = (settings, known[1])
            elif known is None or known[0] != settings:
                if known is not None:
                    self._replaced.append(known[1])
                known = self._clients[key] = (settings, self._build(settings))
            return known[1]

    def close_all(self) -> None:
        """Close every client and forget it (runs at process exit; tests call it too)."""
        with self._lock:
            clients = [client for _, client in self._clients.values()] + self._replaced
            self._clients.clear()
            self._replaced = []
        for client in clients:
            self._close(client)
