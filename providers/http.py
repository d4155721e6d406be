"""What every REST backend's client shares: urllib3 retries, a JSON session with TLS verified
unless told otherwise, and the true/false and seconds settings read from config or env.

Retries: idempotent calls are resent on connection errors and on 429/5xx; a POST only when the
server refused it outright (429, 503), since any other failed POST may have been stored (callers
re-read and adopt instead). Retry-After is honoured, bounded by MAX_RETRY_AFTER_SECONDS.
"""

from __future__ import annotations

import logging
from typing import Any

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


def seconds(raw: Any, source: str, default: float) -> float:
    """A positive, finite number of seconds; absent -> `default`."""
    if raw is None or raw == "":
        return default
    try:
        value = -1.0 if isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{source} must be a positive number of seconds, got {raw!r}")
    return value
