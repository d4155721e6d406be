"""pytest fixtures for the GPU vCenter lab (lab/vcsim).

- `vcsim`: one lab for the whole test session (3 P100 hosts). Tests share it, so they should
  create uniquely named objects and not depend on host graphics state they did not set.
- `vcsim_factory`: call it with `start_vcsim` keyword arguments for a fresh lab with a
  different inventory; every lab it made is stopped after the test.
- `open_sessions(lab)`: sessions still open on a lab (for "the provider logged out" checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import connect, open_sessions

__all__ = ["connect", "open_sessions", "vcsim", "vcsim_factory"]


@pytest.fixture(scope="session")
def vcsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimLab]:
    with start_vcsim(ca_dir=tmp_path_factory.mktemp("vcsim-ca")) as lab:
        yield lab


@pytest.fixture
def vcsim_factory(tmp_path: Any) -> Iterator[Callable[..., VcsimLab]]:
    labs: list[VcsimLab] = []

    def make(**kwargs: Any) -> VcsimLab:
        kwargs.setdefault("ca_dir", tmp_path / f"vcsim-ca-{len(labs)}")
        lab = start_vcsim(**kwargs)
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.stop()
