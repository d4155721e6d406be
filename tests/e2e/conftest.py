"""The labs of an end-to-end module: both started for the module, in its own folder, the vRA
lab data-collecting from the vCenter lab (vRA sees the templates the program makes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab.vcsim import VcsimLab
from lab.vra import VraLab


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
