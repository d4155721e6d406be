"""vRA 7 REST client shared by the vRA dynamic resources (routes: docs/vra7-routes.md).

A `providers.http.BearerClient` (one requests Session, one bearer token) per process per
connection key, in the one registry (`providers.connections`). Tokens are renewed shortly before
`expires`, and once on a 401; all are revoked at exit.

Every call waits at most `timeoutSeconds` (key of the `gpu-mlaas:vra` config object, else the
VRA_TIMEOUT environment variable, default 60) for vRA to answer, and at most
`providers.http.CONNECT_TIMEOUT_SECONDS` (or that, if smaller) to connect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from providers.connections import ConnectionKey, Registry, Trust
from providers.http import ApiError, BearerClient
from providers.vra.settings import Credentials, Endpoint, credentials_for

log = logging.getLogger(__name__)

PAGE_LIMIT = 100
ORDER_BY = "id asc"
# Renew this long before `expires` (capped to a tenth of the token's lifetime for short tokens).
RENEW_MARGIN_SECONDS = 60.0


class VraError(ApiError):
    """A vRA call failed; carries vRA's own error code and message plus method and path."""

    service = "vRA"

    def text(self) -> str:
        return f"{self.headline()}\n  vRA {self.method} {self.path}: {self.answer()}"

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
        self.args = (f"{kind} {name!r}: cannot {action}: {self.text()}",)
        return self

    def headline(self) -> str:
        """One line: what vRA said and what to do."""
        return f"{self.message.splitlines()[0] if self.message else 'error'}; {self.hint()}"

    @classmethod
    def parse_body(cls, body: Any) -> tuple[str | None, int | None]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors or not isinstance(errors[0], dict):
            return None, None
        first = errors[0]
        # vRA puts a fixed text in `message` ("Invalid argument.") and the particulars in
        # `systemMessage` (docs/vra7-api.md, Errors): keep both.
        parts = [first.get("message"), first.get("systemMessage")]
        kept = [str(p) for i, p in enumerate(parts) if p and p not in parts[:i]]
        return " ".join(kept) or None, first.get("code")


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


class VraClient(BearerClient):
    """Authenticated access to one vRA endpoint as one user. Thread-safe."""

    error = VraError
    # vRA answers 409 to a POST whose first attempt was stored before its answer was lost.
    open_outcomes = (409,)

    def __init__(self, endpoint: Endpoint, credentials: Credentials) -> None:
        super().__init__("vRA", endpoint.url, insecure=credentials.insecure,
                         ca_bundle=credentials.ca_bundle,
                         timeout_seconds=credentials.timeout_seconds)
        self.endpoint = endpoint
        self._username = credentials.username
        self._password = credentials.password
        self._renew_at = 0.0

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
            # Never the path or the error's text: both hold the token.
            cause = type(exc.__cause__).__name__ if exc.__cause__ else exc.status
            log.debug("vRA %s: token revoke failed (%s)", self.endpoint.url, cause)

    # -- HTTP -------------------------------------------------------------------------

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
        """POST `body`, then return the stored object as read back by `reread` (vRA's POST
        body is not relied on); a POST whose outcome is unknown is settled by `reread`
        (`BearerClient.settle`: only the caller's own object is adopted)."""
        try:
            self.request("POST", path, json=body, ok=(200, 201))
        except VraError as exc:
            return self.settle(exc, path, reread)
        found = reread()
        if found is None:
            raise VraError("POST", path, None, "created, but the object cannot be read back")
        return found


def _close(client: VraClient) -> None:
    client.revoke()
    client.session.close()


# Keyed like every connection registry: a resource that asks for verified TLS never gets a
# client built for an `insecure` one; new credentials or a new timeout given by a later
# `configure()` replace the client (the replaced one is still revoked at exit).
_clients: Registry[tuple[Endpoint, Credentials], VraClient] = Registry(
    lambda settings: VraClient(*settings), _close
)


def client_for(endpoint: Endpoint) -> VraClient:
    """The process-wide client for `endpoint` (built lazily, once per connection key)."""
    credentials = credentials_for(endpoint)
    trust = Trust(not credentials.insecure, credentials.ca_bundle)
    key = ConnectionKey(endpoint.url, endpoint.tenant, credentials.username, trust)
    return _clients.get(key, (endpoint, credentials))


def close_all() -> None:
    """Revoke every token and drop every client (runs at process exit)."""
    _clients.close_all()
