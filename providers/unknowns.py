"""The engine's placeholder for a value known only after apply, as providers see it in
check/diff during preview: the provider host passes a `pulumi.output.Unknown`; callers that
skip the host (tests, other tools) may pass the raw UNKNOWN string."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

__all__ = ["UNKNOWN", "contains_unknown", "is_unknown"]


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def contains_unknown(value: Any) -> bool:
    """`is_unknown` for the value itself or anything nested in it."""
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return is_unknown(value)
