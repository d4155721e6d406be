"""The providers' use of the one settings vocabulary (`mlaas.settings`): a backend's config
object as the last `configure()` handed it over, and the `endpoint` input every REST resource
has. Settings live here, at module level, never on a provider instance (dill would pickle them
into state).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, NotRequired, TypedDict

import pulumi
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, field_validator

from mlaas.settings import RestSettings, Setting, SettingError, config_object, switch


class StackObject:
    """One backend's config object (`gpu-mlaas:vra`, `gpu-mlaas:aria`) from the stack config
    given to `configure()`, read with its environment fallbacks. `error` is the backend's own
    error class: every malformed or missing setting is raised as it, naming key and variable."""

    def __init__(self, table: RestSettings, error: type[ValueError]) -> None:
        self.table = table
        self.error = error
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}

    def parse(self, raw: Any) -> dict[str, Any]:
        """The object's value (JSON string or object); absent -> empty."""
        return config_object(raw, self.table.obj, self.error)

    def configure(self, config: Any) -> None:
        """Remember the object from a `pulumi.dynamic.Config` (anything with `.get(key)`); the
        engine sends the whole stack config, structured values as JSON strings."""
        parsed = self.parse(config.get(self.table.obj))
        with self._lock:
            self._values = parsed

    def reset(self) -> None:
        with self._lock:
            self._values = {}

    def values(self) -> dict[str, Any]:
        """A copy of what `configure()` remembered (empty before)."""
        with self._lock:
            return dict(self._values)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Raise a SettingError of the shared readers as this backend's error class."""
        try:
            yield
        except SettingError as exc:
            raise self.error(str(exc)) from None

    @staticmethod
    def lookup(values: dict[str, Any], setting: Setting) -> Any:
        """`setting` from `values` (a `values()` copy), else its environment variable."""
        return setting.lookup(setting.in_config(values))


@dataclass(frozen=True)
class Credentials:
    """Who to log in as, how to trust the server and how long to wait for it: what a REST
    client is built from besides its endpoint. Secrets stay out of repr()."""

    username: str | None
    password: str | None = field(repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    timeout_seconds: float = 60.0


class EndpointArgs(TypedDict):
    """The `endpoint` argument of a REST resource (no secrets: credentials come from stack
    config); backends add their own keys."""

    url: pulumi.Input[str]
    """Base URL, e.g. https://vra.example.com"""
    insecure: NotRequired[pulumi.Input[bool]]
    """Skip TLS verification (logged as a warning)."""


class EndpointInput(BaseModel):
    """The `endpoint` input of a REST resource: which server it lives in (base URL) and whether
    its certificate is checked; never a secret. Backends add their own keys (vRA: `tenant`)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    # Read like every TLS switch (mlaas/settings.py), so "t" or "y" is an error here too.
    insecure: Annotated[bool, BeforeValidator(lambda v: switch(v, "endpoint.insecure"))] = False

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
