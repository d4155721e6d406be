"""Figure 5: evaluating the whole program under plain mocks for 64 vs 512 hosts in one pool.

Uses the harness's `RecordingMocks` and `run_program` (every resource answered in process,
no provider, no network), so the time is the program's and the SDK's own: resource
declarations, output plumbing and the mock monitor's gRPC-shaped calls.
"""

from __future__ import annotations

import gc
import time

from bench.report import Figure
from bench.stacks import sized_config
from tests.support.program import RecordingMocks, as_runtime, run_program

COMMAND = "python -m bench --only program"
TARGET = 8.0


def evaluate(hosts: int, collect: bool = True) -> tuple[float, int]:
    """Seconds for one evaluation with `hosts` hosts, and the resources it declared;
    `collect=False` runs it with Python's cyclic garbage collector paused (a diagnostic)."""
    mock = RecordingMocks()
    gc.collect()
    if not collect:
        gc.disable()
    try:
        start = time.perf_counter()
        outputs = run_program(mock, as_runtime(sized_config(hosts)))
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    slots = outputs["slotCapacity"]["pools"]
    if not slots:
        raise RuntimeError(f"{hosts}-host program exported no pool capacity")
    return seconds, len(mock.resources)


def best(hosts: int, repeats: int, collect: bool = True) -> tuple[float, int]:
    runs = [evaluate(hosts, collect) for _ in range(repeats)]
    return min(s for s, _ in runs), runs[0][1]


def figures(small: int = 64, large: int = 512, repeats: int = 3) -> list[Figure]:
    evaluate(min(small, 8))  # warm-up: first-run imports are not the program's cost
    (small_s, small_n), (large_s, large_n) = best(small, repeats), best(large, repeats)
    ratio = large_s / small_s
    per_resource = (large_s - small_s) / max(large_n - small_n, 1)
    note = (f"{small} hosts: {small_s:.2f} s for {small_n} resources; {large} hosts: "
            f"{large_s:.2f} s for {large_n} resources; {per_resource * 1e3:.2f} ms per extra "
            f"resource (best of {repeats})")
    details = {"smallHosts": small, "largeHosts": large, "smallSeconds": small_s,
               "largeSeconds": large_s, "smallResources": small_n,
               "largeResources": large_n, "repeats": repeats}
    if ratio > TARGET:
        (small_off, _), (large_off, _) = best(small, repeats, False), best(large, repeats, False)
        details |= {"smallSecondsGcOff": small_off, "largeSecondsGcOff": large_off}
        note += (f". Missed by {ratio - TARGET:.2f}x. With Python's cyclic garbage collector "
                 f"paused the same runs take {small_off:.2f} s and {large_off:.2f} s "
                 f"({large_off / small_off:.2f}x): the excess is the collector's full passes "
                 "over every Output, future and task the SDK keeps alive until the program "
                 "ends, whose count grows with the hosts")
    return [Figure(
        key="program-eval-ratio", title=f"program under mocks, {large} vs {small} hosts",
        value=round(ratio, 2), unit="x", target=f"<= {TARGET:g}x", met=ratio <= TARGET,
        command=COMMAND, note=note, details=details,
    )]
