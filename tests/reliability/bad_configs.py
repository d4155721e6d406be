"""The bad-config corpus: the cases of `bad_configs.yaml` (patches of the dev stack, each with
the key path the refusal must name and the exit code `plan` must give), and how a patch is
applied. A patch maps a key path (`gpu-mlaas:pools[0].hostCores`) to its new value, or to DELETE.
`RAW_CASES` are files no patch can express (bytes, YAML structure); the Pulumi CLI parses the
stack file before a program runs, so only `plan` meets them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DELETE = object()


@dataclass(frozen=True)
class Case:
    name: str
    why: str
    patch: Mapping[str, Any]
    expect: str  # the key path the refusal names
    plan_exit: int
    stack: str = "dev"  # the stack the file is for (Pulumi.<stack>.yaml)


@dataclass(frozen=True)
class RawCase:
    name: str
    why: str
    edit: Callable[[str], bytes] = field(repr=False)
    expect: str  # a fragment of the message


def _path(path: str) -> list[str | int]:
    return [int(part[1:-1]) if part.startswith("[") else part
            for part in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


def apply(config: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `config` with every patch entry set (or deleted)."""
    patched = copy.deepcopy(dict(config))
    for path, value in patch.items():
        *parents, last = _path(path)
        node: Any = patched
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(copy.deepcopy(value))  # `pools[1]` on a one-pool list adds a pool
        else:
            node[last] = copy.deepcopy(value)
    return patched


def _case(entry: Mapping[str, Any]) -> Case:
    patch: dict[str, Any] = dict(entry.get("set") or {})
    patch |= {path: DELETE for path in entry.get("delete") or []}
    return Case(entry["name"], entry["why"], patch, entry["expect"], int(entry["planExit"]),
                entry.get("stack", "dev"))


CASES = [_case(entry) for entry in
         yaml.safe_load((Path(__file__).parent / "bad_configs.yaml").read_text())["cases"]]


def _replace(old: str, new: str) -> Callable[[str], bytes]:
    def edit(text: str) -> bytes:
        assert old in text, old
        return text.replace(old, new, 1).encode()

    return edit


RAW_CASES = [
    RawCase("not-utf-8", "a Latin-1 byte in a description",
            lambda text: text.encode().replace(b"quarter", b"quart\xe9r", 1), "not UTF-8"),
    RawCase("duplicate-yaml-key", "YAML forbids a key twice; PyYAML would keep the last",
            _replace("      cluster: DC0_C0\n", "      cluster: DC0_C0\n      cluster: X\n"),
            "duplicate key 'cluster'"),
    RawCase("integer-key", "a key that is not a string",
            _replace("      cluster: DC0_C0\n", "      cluster: DC0_C0\n      7: x\n"),
            "gpu-mlaas:pools[0][7]: keys must be strings"),
    RawCase("deep-nesting", "thousands of nested lists",
            lambda text: text.replace("tensorflow-gpu", "[" * 5000 + "]" * 5000, 1).encode(),
            "nested deeper than"),
    RawCase("yaml-alias-bomb", "aliases that would expand a small file into a huge tree",
            lambda text: (text + "  x: &a [1, 1, 1, 1]\n  y: [*a, *a, *a, *a]\n").encode(),
            "aliases"),
    RawCase("empty-config", "a stack file with nothing in it",
            lambda text: b"config:\n", "nothing to plan or deploy"),
    RawCase("integer-too-long", "more digits than Python converts",
            _replace("hostCores: 16", "hostCores: " + "9" * 5000), "Exceeds the limit"),
]
