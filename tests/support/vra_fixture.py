"""pytest fixtures for the vRA lab: one lab process per session, a clean slate per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab.vra import VraLab, start_vra


@pytest.fixture(scope="session")
def vra_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VraLab]:
    """The session's vRA lab (HTTPS on a free loopback port; CA bundle at `.ca_file`)."""
    ca_file = tmp_path_factory.mktemp("vra-lab") / "ca.pem"
    with start_vra(ca_file=ca_file) as lab:
        yield lab


@pytest.fixture
def vra(vra_lab: VraLab) -> VraLab:
    """The session's lab back at its start-up seed: no objects, tokens, faults or request log."""
    vra_lab.restore_seed()
    return vra_lab
