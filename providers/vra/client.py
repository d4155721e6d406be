"""vRA 7 REST client shared by the vRA dynamic resources (routes: docs/vra7-routes.md).

One client (one requests Session, one bearer token) per process per endpoint + user, kept in a
module-level registry guarded by a lock: the provider host runs up to four calls at once on one
provider instance, and nothing network-related may sit on that instance (dill pickles it into
state). Tokens are renewed shortly before `expires`, and once on a 401; all are revoked at exit.

Every call waits at most `timeoutSeconds` (key of the `gpu-mlaas:vra` config object, else the
VRA_TIMEOUT environment variable, default 60) for vRA to answer, and at most
CONNECT_TIMEOUT_SECONDS (or that, if smaller) to connect.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from providers.http import json_session
from providers.settings import ConnectionKey, Trust
from providers.vra.settings import Credentials, Endpoint, credentials_for

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0
PAGE_LIMIT = 100
ORDER_BY = "id asc"
# Renew this long before `expires` (capped to a tenth of the token's lifetime for short tokens).
RENEW_MARGIN_SECONDS = 60.0


class VraError(RuntimeError):
    """A vRA call failed; carries vRA's own error code and message plus method and path."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        code: int | None = None,
    ) -> None:
        self.method, self.path, self.status, self.code, self.message = (
            method,
            path,
            status,
            code,
            message,
        )
        super().__init__(f"{self.headline()}\n  vRA {method} {path}: {self.answer()}")

    def answer(self) -> str:
        """What vRA answered, e.g. "HTTP 400 (code 10101): Invalid argument. ..."."""
        what = f"HTTP {self.status}" if self.status is not None else "no response"
        code_part = f" (code {self.code})" if self.code is not None else ""
        return f"{what}{code_part}: {self.message}"

    def hint(self) -> str:
        """What the user can do about it."""
        if self.status is None or self.status >= 500:
            return "vRA did not complete the call; run `pulumi up` again (it resumes)"
        if self.status == 401:
            return "check 'username' and 'password' in config 'gpu-mlaas:vra'"
        if self.status == 403:
            return "give the vRA user the catalog and blueprint administrator roles"
        if self.status == 404:
            return "it was deleted outside Pulumi; run `pulumi refresh`"
        if self.status == 409:
            return "another object holds this name or id; rename the offering or remove it"
        return "fix the input named above and run `pulumi up` again"

    def about(self, kind: str, name: str, action: str) -> VraError:
        """The same error, its first line naming the object and what was being done."""
        self.args = (
            f"{kind} {name!r}: cannot {action}: {self.headline()}\n"
            f"  vRA {self.method} {self.path}: {self.answer()}",
        )
        return self

    def headline(self) -> str:
        """One line: what vRA said and what to do."""
        return f"{self.message.splitlines()[0] if self.message else 'error'}; {self.hint()}"

    @classmethod
    def from_response(cls, method: str, path: str, resp: requests.Response) -> VraError:
        code: int | None = None
        message = resp.reason or "error"
        try:
            errors = resp.json().get("errors") or []
        except ValueError:
            errors = []
        if errors and isinstance(errors[0], dict):
            first = errors[0]
            code = first.get("code")
            # vRA puts a fixed text in `message` ("Invalid argument.") and the particulars in
            # `systemMessage` (docs/vra7-api.md, Errors): keep both.
            parts = [first.get("message"), first.get("systemMessage")]
            kept = [str(p) for i, p in enumerate(parts) if p and p not in parts[:i]]
            message = " ".join(kept) or message
        return cls(method, path, resp.status_code, message, code)


def odata_quote(value: str) -> str:
    """An OData string literal: single quotes, embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def eq_filter(field: str, value: str) -> str:
    """`$filter` expression `<field> eq '<value>'`."""
    return f"{field} eq {odata_quote(value)}"


def path_segment(value: str) -> str:
    """Quote one path segment (ids chosen by clients may hold spaces or '@')."""
    return quote(value, safe="@")


def _parse_expires(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class VraClient:
    """Authenticated access to one vRA endpoint as one user. Thread-safe."""

    def __init__(self, endpoint: Endpoint, credentials: Credentials) -> None:
        self.endpoint = endpoint
        self._username = credentials.username
        # (connect, read) seconds; a dynamic provider gets no deadline from the engine.
        self._timeout = (
            min(CONNECT_TIMEOUT_SECONDS, credentials.timeout_seconds),
            credentials.timeout_seconds,
        )
        self._password = credentials.password
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.session, self._verify = json_session(
            "vRA", endpoint.url, insecure=credentials.insecure, ca_bundle=credentials.ca_bundle
        )

    # -- token life cycle -------------------------------------------------------------

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or time.time() >= self._renew_at:
                self._login()
            assert self._token is not None
            return self._token

    def _login(self) -> None:
        path = "/identity/api/tokens"
        body = {
            "username": self._username,
            "password": self._password,
            "tenant": self.endpoint.tenant,
        }
        resp = self._send("POST", path, json=body, headers={})
        if resp.status_code != 200:
            raise VraError.from_response("POST", path, resp)
        data = resp.json()
        now = time.time()
        expires = _parse_expires(data.get("expires")) or now + 3600.0
        margin = min(RENEW_MARGIN_SECONDS, max(0.0, (expires - now) / 10.0))
        self._token = str(data["id"])
        self._renew_at = expires - margin
        log.info("vRA %s: new token for %s", self.endpoint.url, self._username)

    def _forget(self, token: str) -> None:
        # Another thread may already have renewed; only drop the token that failed.
        with self._lock:
            if self._token == token:
                self._token = None

    def revoke(self) -> None:
        """Revoke the current token (process exit); failures are only logged."""
        with self._lock:
            token, self._token = self._token, None
        if token is None:
            return
        path = f"/identity/api/tokens/{path_segment(token)}"
        try:
            self._send("DELETE", path, headers={"Authorization": f"Bearer {token}"})
        except VraError as exc:
            # The path (and a requests error's text, which quotes the URL) holds the token.
            cause = type(exc.__cause__).__name__ if exc.__cause__ else exc.status
            log.debug("vRA %s: token revoke failed (%s)", self.endpoint.url, cause)

    # -- HTTP -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str],
    ) -> requests.Response:
        try:
            return self.session.request(
                method,
                self.endpoint.url + path,
                params=params,
                json=json,
                headers=headers,
                timeout=self._timeout,
                verify=self._verify,
            )
        except requests.RequestException as exc:
            raise VraError(method, path, None, f"{type(exc).__name__}: {exc}") from exc

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> requests.Response:
        """Send one call with a valid token; one re-login on 401; non-`ok` status -> VraError."""
        token = self._bearer()
        resp = self._send(
            method, path, params=params, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        if resp.status_code == 401:
            self._forget(token)
            token = self._bearer()
            resp = self._send(
                method,
                path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        if resp.status_code not in ok:
            raise VraError.from_response(method, path, resp)
        return resp

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """GET a JSON object; None when vRA answers 404."""
        resp = self.request("GET", path, params=params, ok=(200, 404))
        return None if resp.status_code == 404 else resp.json()

    def put(self, path: str, body: Any) -> None:
        self.request("PUT", path, json=body, ok=(200, 201, 204))

    def delete(self, path: str) -> bool:
        """DELETE; True if vRA removed it, False if it was already gone."""
        resp = self.request("DELETE", path, ok=(200, 204, 404))
        return resp.status_code != 404

    def iter_list(
        self, path: str, *, filter_: str | None = None, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every `content` element of a paged list (pages are 1-based). Always ordered: vRA 7
        can repeat or skip elements across pages of an unordered list (docs/vra7-api.md)."""
        page, total_pages = 1, 1
        while page <= total_pages:
            query: dict[str, Any] = {
                "$orderby": ORDER_BY,
                **(params or {}),
                "page": page,
                "limit": PAGE_LIMIT,
            }
            if filter_:
                query["$filter"] = filter_
            data = self.request("GET", path, params=query, ok=(200,)).json()
            yield from data.get("content") or []
            total_pages = int((data.get("metadata") or {}).get("totalPages") or 0)
            page += 1

    def find_one(self, path: str, field: str, value: str) -> dict[str, Any] | None:
        """The element whose `field` equals `value` exactly (filter server side, check here)."""
        for item in self.iter_list(path, filter_=eq_filter(field, value)):
            if item.get(field) == value:
                return item
        return None

    def create(
        self, path: str, body: Any, reread: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """POST `body`, then return the stored object as read back by `reread`.

        vRA's POST body is not relied on. If the POST's outcome is unknown (connection lost,
        5xx) or vRA says it already exists (409), `reread` decides: it returns the object only
        when its owner marker proves it is the caller's own (a retry after a lost answer), and
        raises `ownership.NotOwnedError` for anyone else's, so nothing is adopted by accident.
        """
        try:
            self.request("POST", path, json=body, ok=(200, 201))
        except VraError as exc:
            ambiguous = exc.status is None or exc.status == 409 or exc.status >= 500
            found = reread() if ambiguous else None
            if found is None:
                raise
            log.info("vRA POST %s: %s; adopting the stored object", path, exc.message)
            return found
        found = reread()
        if found is None:
            raise VraError("POST", path, None, "created, but the object cannot be read back")
        return found


_registry_lock = threading.Lock()
_registry: dict[ConnectionKey, tuple[Credentials, VraClient]] = {}
_replaced: list[VraClient] = []  # still logged in; revoked at exit with the others


def client_for(endpoint: Endpoint) -> VraClient:
    """The process-wide client for `endpoint` (built lazily, once per connection key).

    Keyed like every connection registry (`providers.settings.ConnectionKey`): a resource that
    asks for verified TLS never gets a client built for an `insecure` one; new credentials or a
    new timeout given by a later `configure()` replace the client."""
    credentials = credentials_for(endpoint)
    trust = Trust(not credentials.insecure, credentials.ca_bundle)
    key = ConnectionKey(endpoint.url, endpoint.tenant, credentials.username, trust)
    with _registry_lock:
        known = _registry.get(key)
        if known is None or known[0] != credentials:
            if known is not None:
                _replaced.append(known[1])
            known = _registry[key] = (credentials, VraClient(endpoint, credentials))
        return known[1]


def close_all() -> None:
    """Revoke every token and drop every client (runs at process exit)."""
    with _registry_lock:
        clients = [client for _, client in _registry.values()] + _replaced
        _registry.clear()
        _replaced.clear()
    for client in clients:
        client.revoke()
        client.session.close()


atexit.register(close_all)
