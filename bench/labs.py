"""Both labs for one benchmark run, and a provider host per simulated `pulumi` command."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.vcsim import VcsimLab, start_vcsim
from lab.vra import VraLab, start_vra


@contextmanager
def running_labs() -> Iterator[tuple[VcsimLab, VraLab]]:
    """A fresh vCenter lab and a vRA lab that data-collects its templates, on loopback,
    stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="bench-labs-") as folder:
        with start_vcsim(ca_dir=Path(folder)) as vcsim, \
                start_vra(ca_file=Path(folder) / "vra-ca.pem", vcenter=vcsim) as vra:
            yield vcsim, vra
