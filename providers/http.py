"""What every REST backend's client shares: urllib3 retries, a JSON session with TLS verified
unless told otherwise, the error of a failed call and the bearer-token call with one
re-login on 401 (settings are read by `mlaas.settings`).

Retries: idempotent calls are resent on connection errors and on 429/5xx; a POST only when the
server refused it outright (429, 503), since any other failed POST may have been stored (callers
re-read and adopt instead). Retry-After is honoured, bounded by MAX_RETRY_AFTER_SECONDS.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any, ClassVar, Self

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0
MAX_RETRY_AFTER_SECONDS = 30.0


class ApiRetry(Retry):
    """urllib3 Retry that also resends a POST the server refused outright (429, 503)."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return bool(self.total) and status_code in (429, 503)
        return super().is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after: str) -> float:
        # Accept fractional seconds too; a server asking for minutes would stall `pulumi up`,
        # so wait at most a bounded time.
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = super().parse_retry_after(retry_after)
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def retry_policy() -> Retry:
    return ApiRetry(
        total=5,
        connect=3,
        read=2,
        status=4,
        other=0,  # certificate and other TLS errors do not heal by retrying
        backoff_factor=0.3,
        backoff_max=10.0,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def json_session(what: str, url: str, *, insecure: bool, ca_bundle: str | None) -> tuple[
    requests.Session, bool | str
]:
    """A session that retries (retry_policy) and speaks JSON, and the `verify` value to pass on
    every call (a Session-level `verify` loses to REQUESTS_CA_BUNDLE in the environment)."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
    if insecure:
        log.warning("TLS verification is OFF for %s %s (insecure flag set)", what, url)
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return session, (False if insecure else (ca_bundle or True))


class ApiError(RuntimeError):
    """A REST call failed: method, path, HTTP status (None: no answer), the server's message and
    its own error code where it has one. Subclasses name the service (`service`), read their
    service's error body (`parse_body`) and may word the message their way (`text`)."""

    service = "API"

    def __init__(self, method: str, path: str, status: int | None, message: str,
                 code: int | None = None) -> None:
        self.method, self.path, self.status, self.message, self.code = (
            method, path, status, message, code)
        super().__init__(self.text())

    def answer(self) -> str:
        """What the server answered, e.g. "HTTP 400 (code 10101): Invalid argument. ..."."""
        what = f"HTTP {self.status}" if self.status is not None else "no response"
        code_part = f" (code {self.code})" if self.code is not None else ""
        return f"{what}{code_part}: {self.message}"

    def text(self) -> str:
        return f"{self.service} {self.method} {self.path} failed: {self.answer()}"

    @classmethod
    def parse_body(cls, body: Any) -> tuple[str | None, int | None]:
        """(message, code) of an error body; None where it has none."""
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"]), None
        return None, None

    @classmethod
    def from_response(cls, method: str, path: str, resp: requests.Response) -> Self:
        try:
            body = resp.json()
        except ValueError:
            body = None
        message, code = cls.parse_body(body)
        return cls(method, path, resp.status_code, message or resp.reason or "error", code)


def failure(exc: BaseException) -> str:
    """What went wrong on the wire, in words safe to show: the exception's type and, for a
    refused certificate, the TLS library's verdict (`SSLError: CERTIFICATE_VERIFY_FAILED ...`).
    Never the exception's text: it can quote the URL, and nothing here may carry a token."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            verdict = [str(p) for p in (current.reason, getattr(current, "verify_message", None))
                       if p]
            return " ".join([f"{type(exc).__name__}:", *verdict])
        linked = [*current.args, current.__cause__, current.__context__,
                  getattr(current, "reason", None)]
        todo += [e for e in linked if isinstance(e, BaseException)]
    return type(exc).__name__


class BearerClient:
    """A JSON REST client that sends a bearer token. Subclasses log in (`_bearer`, holding
    `_lock` while they fill `_token`) and may add query parameters per call (`_query`).
    A call whose token was refused (401) is sent once more with a new token."""

    error: ClassVar[type[ApiError]] = ApiError

    def __init__(self, what: str, url: str, *, insecure: bool, ca_bundle: str | None,
                 timeout_seconds: float) -> None:
        self.url = url
        self._timeout = (min(CONNECT_TIMEOUT_SECONDS, timeout_seconds), timeout_seconds)
        self.session, self._verify = json_session(what, url, insecure=insecure,
                                                  ca_bundle=ca_bundle)
        self._lock = threading.Lock()
        self._token: str | None = None

    def _bearer(self) -> str:
        raise NotImplementedError

    def _query(self, method: str, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return dict(params or {})

    def _forget(self, token: str) -> None:
        # Another thread may already have renewed; only drop the token that failed.
        with self._lock:
            if self._token == token:
                self._token = None

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              json: Any = None, headers: dict[str, str]) -> requests.Response:
        try:
            return self.session.request(method, self.url + path, params=params, json=json,
                                        headers=headers, timeout=self._timeout,
                                        verify=self._verify)
        except requests.RequestException as exc:
            raise self.error(method, path, None, failure(exc)) from exc

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> requests.Response:
        """One call with a valid token; one re-login on 401; a status not in `ok` raises."""
        query = self._query(method, path, params)

        def send(token: str) -> requests.Response:
            return self._send(method, path, params=query, json=json,
                              headers={"Authorization": f"Bearer {token}"})

        token = self._bearer()
        resp = send(token)
        if resp.status_code == 401:
            self._forget(token)
            resp = send(self._bearer())
        if resp.status_code not in ok:
            raise self.error.from_response(method, path, resp)
        return resp

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """GET a JSON object; None when the server answers 404."""
        resp = self.request("GET", path, params=params, ok=(200, 404))
        return None if resp.status_code == 404 else resp.json()

    # Statuses that, besides no answer and 5xx, leave a failed POST's outcome open.
    open_outcomes: ClassVar[tuple[int, ...]] = ()

    def settle(self, failed: ApiError, path: str,
               reread: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        """After a POST to `path` failed with `failed`: when its outcome is unknown (no answer,
        5xx, `open_outcomes`), `reread` decides. It returns the stored object only when it is
        the caller's own (a retry after a lost answer) and raises `ownership.NotOwnedError` for
        anyone else's, so nothing is adopted by accident; otherwise `failed` is raised."""
        status = failed.status
        unknown = status is None or status >= 500 or status in self.open_outcomes
        found = reread() if unknown else None
        if found is None:
            raise failed
        log.info("%s POST %s: %s; adopting the stored object", self.error.service, path,
                 failed.message)
        return found
