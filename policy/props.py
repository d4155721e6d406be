"""Reading resource properties the way the analyzer hands them over.

The analyzer wraps props in pulumi-policy's unknown-checking proxy: reading a value that is not
known yet (during preview) raises `UnknownValueError`. Rules here must skip such a check, not fail
it, so every read goes through `known()` and compares against `UNKNOWN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

from mlaas.settings import switch


class _Unknown:
    """Marker for a value the engine does not know yet."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

# Remediation props are not wrapped in the unknown-checking proxy, so raw sentinels show up there.
# (pulumi_policy.proxy names one per kind: UNKNOWN_STRING_VALUE, UNKNOWN_NUMBER_VALUE, ...)
_SENTINELS = frozenset(
    getattr(proxy, name)
    for name in dir(proxy)
    if name.startswith("UNKNOWN_") and name.endswith("_VALUE")
)


def is_unknown(value: Any) -> bool:
    """True for `UNKNOWN` and for a raw unknown sentinel string."""
    return value is UNKNOWN or (isinstance(value, str) and value in _SENTINELS)


def known(props: Any, key: str, default: Any = None) -> Any:
    """`props[key]`, `default` when absent or `props` is not a mapping, `UNKNOWN` when unknown."""
    if is_unknown(props):
        return UNKNOWN
    if not isinstance(props, Mapping):
        return default
    try:
        value = props.get(key, default)
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if is_unknown(value) else value


def known_list(value: Any) -> list[Any] | _Unknown:
    """A list (or list proxy) as a plain list; `UNKNOWN` if it or any element is unknown."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return []
    try:
        items = list(value)
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if any(is_unknown(item) for item in items) else items


def as_int(value: Any) -> int | None:
    """Whole numbers as int: gRPC Structs carry every number as a float, vRA custom properties
    carry them as strings. None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def is_true(value: Any, source: str) -> bool:
    """A TLS switch read with the providers' own parser (`mlaas.settings.switch`), so the
    policy and the providers agree on every spelling; a typo raises the same SettingError.
    A value not known yet (preview) is not a switch that is on."""
    return not is_unknown(value) and switch(value, source)


def stack_of(urn: str) -> str:
    """The stack name of a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    head = urn.split("::", 1)[0]
    prefix = "urn:pulumi:"
    return head[len(prefix) :] if head.startswith(prefix) else ""
