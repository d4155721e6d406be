"""Input checking shared by the vSphere providers' `check()`: typed, with clear failures.

During preview, values not yet known reach `check()` and `diff()` as the engine's unknown
sentinel string or, once the provider host has decoded them, as `pulumi.output.Unknown`; both
pass through untouched and are checked again at `up`. Numbers come over gRPC as floats (4.0),
so whole floats are accepted as integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure

from providers.unknowns import is_unknown


class InputChecker:
    """Reads one input at a time into `inputs`, recording a failure for each bad one."""

    def __init__(self, news: Mapping[str, Any]) -> None:
        self.news = news
        self.inputs: dict[str, Any] = {}
        self.failures: list[CheckFailure] = []

    def fail(self, key: str, reason: str) -> None:
        self.failures.append(CheckFailure(key, reason))

    def _take(self, key: str, default: Any, required: bool) -> tuple[bool, Any]:
        """(done, value): done when the value is unknown, missing or defaulted."""
        value = self.news.get(key)
        if is_unknown(value):
            self.inputs[key] = value
            return True, value
        if value is None:
            if required:
                self.fail(key, f"{key} is required")
            elif default is not None:
                self.inputs[key] = default
            return True, None
        return False, value

    def text(self, key: str, *, required: bool = True, default: str | None = None) -> None:
        done, value = self._take(key, default, required)
        if done:
            return
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"{key} must be a non-empty string, got {value!r}")
            return
        self.inputs[key] = value.strip()

    def choice(self, key: str, choices: Iterable[str], *, default: str | None = None) -> None:
        done, value = self._take(key, default, default is None)
        if done:
            return
        allowed = sorted(choices)
        if value not in allowed:
            self.fail(key, f"{key} must be one of {', '.join(allowed)}, got {value!r}")
            return
        self.inputs[key] = value

    def integer(self, key: str, *, minimum: int = 1) -> None:
        done, value = self._take(key, None, True)
        if done:
            return
        whole = (
            isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)
        )
        if not whole or int(value) < minimum:
            self.fail(key, f"{key} must be a whole number of at least {minimum}, got {value!r}")
            return
        self.inputs[key] = int(value)

    def boolean(self, key: str, *, default: bool) -> None:
        done, value = self._take(key, default, False)
        if done:
            return
        if not isinstance(value, bool):
            self.fail(key, f"{key} must be true or false, got {value!r}")
            return
        self.inputs[key] = value

    def string_map(self, key: str) -> None:
        done, value = self._take(key, None, False)
        if done:
            return
        if not isinstance(value, Mapping):
            self.fail(key, f"{key} must be a map of strings, got {type(value).__name__}")
            return
        bad = [k for k, v in value.items() if not isinstance(v, str) and not is_unknown(v)]
        if bad:
            self.fail(key, f"{key} values must be strings; not so for {', '.join(sorted(bad))}")
            return
        self.inputs[key] = dict(value)

    def known(self, *keys: str) -> bool:
        """True when every key was accepted with a known value (for cross-field checks)."""
        return all(k in self.inputs and not is_unknown(self.inputs[k]) for k in keys)
