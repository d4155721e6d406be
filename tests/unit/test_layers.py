"""The layering of the project (README, Architecture): the core (`mlaas/`) and the policy pack
(`policy/`) import nothing of the dynamic providers, directly or through another module of
this repository, and the core does not import the Pulumi engine or the components."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import devstack
from mlaas.settings import LAB_STACKS
from policy import rules

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mlaas", "policy", "components", "providers", "lab", "tools", "bench")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports (absolute names; `from a import b` yields a and a.b)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module(p): p for p in files if ".venv" not in p.parts}
    return {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}


def _reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every first-party module `start` imports, directly or not, with the module it came
    through (for the failure message)."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for imported in graph.get(current, ()):
            if imported not in seen:
                seen[imported] = current
                todo.append(imported)
    return seen


def _third_party(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imports(path)}


GRAPH = _graph()


CORE_AND_POLICY = sorted(m for m in GRAPH if m.split(".")[0] in ("mlaas", "policy"))


@pytest.mark.parametrize("module", CORE_AND_POLICY)
def test_core_and_policy_import_nothing_of_the_providers(module: str) -> None:
    reached = _reachable(GRAPH, module)
    bad = {m: via for m, via in reached.items() if m.split(".")[0] == "providers"}
    assert not bad, f"{module} reaches {sorted(bad)} (through {sorted(set(bad.values()))})"
    if module.startswith("mlaas"):
        assert not {m for m in reached if m.split(".")[0] == "components"}


def test_the_core_never_imports_the_pulumi_engine() -> None:
    for path in (ROOT / "mlaas").rglob("*.py"):
        assert not _third_party(path) & {"pulumi", "pulumi_policy"}, path


def test_the_walk_sees_an_import_through_another_module() -> None:
    # The check itself: providers.vra.base imports providers.vra.client directly, and through
    # it providers.http, which it never names.
    reached = _reachable(GRAPH, "providers.vra.base")
    assert "providers.vra.client" in GRAPH["providers.vra.base"]
    assert "providers.http" in reached and "providers.http" not in GRAPH["providers.vra.base"]


def test_one_list_of_lab_stacks() -> None:
    assert list(devstack.LAB_STACKS) == list(LAB_STACKS)
    assert rules.DEFAULT_LAB_STACKS == list(LAB_STACKS)
