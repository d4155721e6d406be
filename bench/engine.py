"""Engine figures: `pulumi up` of the dev stack with the real engine, `--parallel 1` against the
engine's default, with 200 ms added to every vRA call.

The default lets the engine send independent resources to the one provider process at once
(Pulumi's default parallelism is unbounded up to its own limit); `--parallel 1` sends one at a
time. Each run starts from the labs' seed and is destroyed after. The critical-path bound is
the one of the `latency` figure (longest chain of dependent vRA calls x 200 ms), printed next to
the wall times so they can be set against it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.report import Figure
from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vra import VraLab

COMMAND = "python -m bench --only engine"
LATENCY_MS = 200
FAULT_COUNT = 100_000


def _timed_up(vcsim: VcsimLab, vra: VraLab, parallel: int | None, latency_ms: int) -> float:
    vra.reset()
    with tempfile.TemporaryDirectory() as state:
        stack = EngineStack("bench", vcsim, vra, Path(state))
        try:
            if latency_ms:
                vra.inject(latencyMs=latency_ms, count=FAULT_COUNT)
            start = time.monotonic()
            stack.up(**({"parallel": parallel} if parallel else {}))
            seconds = time.monotonic() - start
            vra.clear_faults()
        finally:
            vra.clear_faults()
            stack.close()
    return seconds


def figures(vcsim: VcsimLab, vra: VraLab) -> list[Figure]:
    if not cli_built():
        return []
    vra.set_seed(catalogItemDelaySeconds=0)
    try:
        serial = _timed_up(vcsim, vra, parallel=1, latency_ms=LATENCY_MS)
        default = _timed_up(vcsim, vra, parallel=None, latency_ms=LATENCY_MS)
        fixed = _timed_up(vcsim, vra, parallel=None, latency_ms=0)
    finally:
        vra.restore_seed()
    note = ("whole `pulumi up` (CLI start, program, provider process, policy pack) from the "
            "labs' seed; set against the latency figure's critical-path bound")
    return [
        Figure(key="engine-up-parallel-1", title=f"`pulumi up --parallel 1`, {LATENCY_MS} ms "
               "per vRA call", value=round(serial, 2), unit="s", command=COMMAND, note=note),
        Figure(key="engine-up-default", title=f"`pulumi up` (default parallelism), {LATENCY_MS}"
               " ms per vRA call", value=round(default, 2), unit="s", command=COMMAND,
               note=f"{serial / default:.2f}x faster than --parallel 1; minus the same run "
                    f"without latency it is {default - fixed:.2f} s, against the critical-path "
                    "bound of the latency figure"),
        Figure(key="engine-up-no-latency", title="`pulumi up` (default parallelism), no latency",
               value=round(fixed, 2), unit="s", command=COMMAND,
               note="fixed cost of a real `pulumi up`: CLI, language host, program, provider "
                    "process, policy pack, vSphere lab work"),
    ]
