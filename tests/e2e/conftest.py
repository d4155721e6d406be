"""The labs of an end-to-end module: both started for the module, in its own folder, the vRA
lab data-collecting from the vCenter lab (vRA sees the templates the program makes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pytest

from lab.automation import EngineStack
from lab.vcsim import VcsimLab
from lab.vra import VraLab


@contextmanager
def lab_pair(
    tmp_path_factory: pytest.TempPathFactory, name: str, **vcsim: Any
) -> Iterator[tuple[VcsimLab, VraLab]]:
    """A vCenter lab started with `vcsim` options and a vRA lab collecting from it, in a folder
    of their own."""
    from lab.vcsim import start_vcsim
    from lab.vra import start_vra

    folder = tmp_path_factory.mktemp(name)
    with start_vcsim(ca_dir=folder, **vcsim) as vcsim_lab, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim_lab
    ) as vra:
        yield vcsim_lab, vra


@contextmanager
def engine_stack(
    tmp_path_factory: pytest.TempPathFactory, name: str, labs: tuple[VcsimLab, VraLab]
) -> Iterator[EngineStack]:
    """The dev stack under another name on the real engine, destroyed and removed at the end."""
    with closing(EngineStack(name, *labs, tmp_path_factory.mktemp(f"{name}-state"))) as stack:
        yield stack


@pytest.fixture(scope="module")
def labs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[VcsimLab, VraLab]]:
    from lab.vcsim import start_vcsim
    from lab.vra import start_vra

    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with start_vcsim(ca_dir=folder) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim
    ) as vra:
        yield vcsim, vra


def failed_up(stack: EngineStack) -> str:
    """The engine's output of an `up` that must fail (the test fails if it succeeds)."""
    from pulumi import automation as auto

    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    return str(failure.value)
