"""A problem in a stack's configuration, with the key path it is about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PROJECT = "gpu-mlaas"  # the Pulumi project name, and the namespace of its config keys


@dataclass(frozen=True)
class Issue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(ValueError):
    """Invalid stack configuration; `issues` holds every problem found."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"invalid stack configuration ({len(self.issues)} problem(s)):\n{lines}")
