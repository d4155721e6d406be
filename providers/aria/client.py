"""Aria Automation 8 REST client shared by the Aria dynamic resources.

A `providers.http.BearerClient` (one session, one bearer token) per process per connection key,
in the one registry (`providers.connections`).

Login (docs/aria8-api.md): a refresh token — configured, or from the CSP login
`POST /csp/gateway/am/api/login?access_token` with username, password and domain — is exchanged
at `POST /iaas/api/login` for a bearer token. The bearer carries no expiry, so it is renewed when
a call answers 401; a refused refresh token is replaced through the CSP login once, when a
password is configured. Every call names its service's `apiVersion`. Tokens never reach logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from providers.aria.settings import Credentials, credentials_for
from providers.connections import ConnectionKey, Registry, Trust
from providers.http import ApiError, BearerClient

log = logging.getLogger(__name__)

CSP_LOGIN = "/csp/gateway/am/api/login"
IAAS_LOGIN = "/iaas/api/login"
# The `info.version` of each service's published description (vmware/vra-sdk-go swagger/);
# terraform-provider-vra pins the same IaaS and catalog versions (docs/aria8-api.md).
API_VERSIONS = {
    "/iaas/": "2021-07-15",
    "/blueprint/": "2019-09-12",
    "/catalog/": "2020-08-25",
    "/policy/": "2020-08-25",
}
# The one operation used whose published description declares no `apiVersion`: a version read.
_NO_API_VERSION = re.compile(r"^/blueprint/api/blueprints/[^/]+/versions/[^/]+$")
PAGE_SIZE = 100
# Lists whose published operation declares no `$top`/`$skip`: one GET answers all of it.
UNPAGED = frozenset({"/iaas/api/image-profiles", "/iaas/api/flavor-profiles"})


class AriaError(ApiError):
    """An Aria call failed; carries method, path, HTTP status and Aria's message."""

    service = "Aria"


def path_segment(value: str) -> str:
    return quote(value, safe="")


def api_version(path: str) -> str:
    for prefix, version in API_VERSIONS.items():
        if path.startswith(prefix):
            return version
    raise ValueError(f"no apiVersion known for {path}")


class AriaClient(BearerClient):
    """Authenticated access to one Aria endpoint. Thread-safe."""

    error = AriaError

    def __init__(self, url: str, credentials: Credentials) -> None:
        super().__init__("Aria", url, insecure=credentials.insecure,
                         ca_bundle=credentials.ca_bundle,
                         timeout_seconds=credentials.timeout_seconds)
        self._credentials = credentials
        self._refresh_token = credentials.refresh_token

    # -- token life cycle ---------------------------------------------------------------

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._login()
            return self._token

    def _csp_refresh_token(self) -> str:
        creds = self._credentials
        body = {"username": creds.username, "password": creds.password}
        if creds.domain:
            body["domain"] = creds.domain
        resp = self._send("POST", f"{CSP_LOGIN}?access_token", json=body, headers={})
        if resp.status_code != 200:
            raise AriaError.from_response("POST", CSP_LOGIN, resp)
        token = resp.json().get("refresh_token")
        if not token:
            raise AriaError("POST", CSP_LOGIN, resp.status_code, "no refresh_token in the answer")
        return str(token)

    def _login(self) -> str:
        can_csp = bool(self._credentials.username and self._credentials.password)
        for attempt in range(2):
            if self._refresh_token is None:
                self._refresh_token = self._csp_refresh_token()
            resp = self._send(
                "POST",
                IAAS_LOGIN,
                params={"apiVersion": api_version(IAAS_LOGIN)},
                json={"refreshToken": self._refresh_token},
                headers={},
            )
            if resp.status_code == 200:
                log.info("Aria %s: new bearer token", self.url)
                return str(resp.json()["token"])
            if resp.status_code in (400, 401, 403) and can_csp and attempt == 0:
                self._refresh_token = None  # expired or revoked: get a new one once
                continue
            raise AriaError.from_response("POST", IAAS_LOGIN, resp)
        raise AssertionError("unreachable")

    # -- HTTP ---------------------------------------------------------------------------

    def _query(self, method: str, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Every call but a version read names the service's apiVersion."""
        versioned = not (method == "GET" and _NO_API_VERSION.match(path))
        return {**({"apiVersion": api_version(path)} if versioned else {}), **(params or {})}

    def send(self, method: str, path: str, body: Any = None,
             params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A write that answers the stored object."""
        data: dict[str, Any] = self.request(method, path, params=params, json=body).json()
        return data

    def delete(self, path: str) -> None:
        self.request("DELETE", path, ok=(200, 204, 404))

    def iter_list(
        self, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every `content` element of a list, page by page (`$top` / `$skip`)."""
        if path in UNPAGED:
            data = self.request("GET", path, params=params, ok=(200,)).json()
            yield from data.get("content") or []
            return
        skip = 0
        while True:
            query = {**(params or {}), "$top": PAGE_SIZE, "$skip": skip}
            data = self.request("GET", path, params=query, ok=(200,)).json()
            content = data.get("content") or []
            yield from content
            skip += len(content)
            if not content or skip >= int(data.get("totalElements") or 0):
                return

    def find_named(
        self, path: str, name: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The element of a list whose `name` is exactly `name`."""
        return next((item for item in self.iter_list(path, params) if item.get("name") == name),
                    None)

    def create(
        self,
        path: str,
        body: Any,
        reread: Callable[[], dict[str, Any] | None],
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST `body` and answer the stored object; a POST whose outcome is unknown (no answer,
        5xx) is settled by `reread` (`BearerClient.settle`), so a retried create leaves no
        duplicate."""
        try:
            return self.send("POST", path, body, params)
        except AriaError as exc:
            return self.settle(exc, path, reread)


# Keyed like every connection registry (`providers.connections`): which Aria, as whom (the user,
# or a refresh token's holder, never the token itself), with which trust; new credentials or a
# new timeout given by a later `configure()` replace the client.
_clients: Registry[tuple[str, Credentials], AriaClient] = Registry(
    lambda settings: AriaClient(*settings), lambda client: client.session.close()
)


def client_for(url: str, insecure: bool = False) -> AriaClient:
    """The process-wide client for `url` with the configured credentials."""
    credentials = credentials_for(url, insecure)
    trust = Trust(not credentials.insecure, credentials.ca_bundle)
    account = credentials.username or "refresh-token"
    return _clients.get(ConnectionKey(url, "", account, trust), (url, credentials))


def close_all() -> None:
    _clients.close_all()
