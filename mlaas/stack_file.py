"""Reading a `Pulumi.<stack>.yaml` that may be hostile: every problem becomes an Issue with a key
path, never a traceback or a hang.

Refused: bytes that are not UTF-8, YAML errors, duplicate keys (YAML forbids them, PyYAML keeps
the last one silently), aliases (nothing in a stack file needs them, and they can expand a small
file into a huge tree), keys that are not strings, and nesting deeper than any stack needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from mlaas.issues import ConfigError, Issue

# A stack file nests 6 levels deep (document > config > key > list > object > list); anything past
# this is a mistake or an attack. Also keeps PyYAML's recursive composer far from Python's limit.
MAX_DEPTH = 12
# A stack file is a few kilobytes; refuse megabytes before parsing them.
MAX_BYTES = 1_000_000


class _StrictComposer(Composer):
    peek_event: Any  # from the Parser the loader mixes in
    check_event: Any

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not supported in a stack file",
                problem_mark=event.start_mark,
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_DEPTH} levels",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _StrictConstructor(SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key ([a]: 1); the walk names it
                    continue
                if duplicate:
                    raise ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-untyped-call]


class _StrictLoader(Reader, Scanner, Parser, _StrictComposer, _StrictConstructor, Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _StrictComposer.__init__(self)
        _StrictConstructor.__init__(self)
        Resolver.__init__(self)


def _label(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def non_string_keys(value: Any, path: str) -> list[Issue]:
    """Every mapping key below `value` that is not a string (YAML allows `1: x` and `[a]: x`;
    a stack file does not), walked without recursion."""
    issues: list[Issue] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, Mapping):
            for key, child in node.items():
                if not isinstance(key, str):
                    issues.append(
                        Issue(f"{where}[{key!r}]", "keys must be strings, not "
                              f"{type(key).__name__} {key!r}")
                    )
                    continue
                stack.append((child, f"{where}.{key}" if where else key))
        elif isinstance(node, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node))
    return sorted(issues, key=lambda issue: issue.path)


def _one_line(error: yaml.YAMLError) -> str:
    if not isinstance(error, yaml.MarkedYAMLError):
        return str(error).replace("\n", " ")
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return where + " ".join(filter(None, (error.context, error.problem)))


def load_yaml(path: Path) -> Any:
    """The parsed document of `path`; ConfigError naming the file (and line) otherwise."""
    where = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError([Issue(where, f"cannot read the stack file: {error.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise ConfigError([Issue(where, f"larger than {MAX_BYTES} bytes; not a stack file")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError([
            Issue(where, f"not UTF-8: byte 0x{data[error.start]:02x} on line {line}")
        ]) from None
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()  # type: ignore[no-untyped-call]
    except yaml.YAMLError as error:
        raise ConfigError([Issue(where, f"not valid YAML: {_one_line(error)}")]) from None
    except RecursionError:
        raise ConfigError([Issue(where, f"nested deeper than {MAX_DEPTH} levels")]) from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise ConfigError([Issue(where, f"not a valid stack file: {error}")]) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def read_config_section(path: Path) -> dict[str, Any]:
    """The `config:` section of a stack file, every key checked to be a string."""
    document = load_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping) or not isinstance(document.get("config") or {}, Mapping):
        raise ConfigError([Issue(str(path), "expected a mapping with a `config:` section")])
    section = document.get("config") or {}
    problems = non_string_keys(section, "")
    if problems:
        raise ConfigError(problems)
    return dict(section)
