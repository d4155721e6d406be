"""`python -m bench [--only NAME ...] [--markdown]`: run the benchmarks, print them, store them
in `bench/results.json` (a local file; figures not re-run keep their stored values). With
`--markdown`, print the README's benchmark table instead, with the date and the machine."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console

from bench import aria_calls, engine, latency, plan_time, program_eval, vra_calls
from bench.labs import running_labs
from bench.report import RESULTS_FILE, Figure, machine, markdown, render, write_json

LAB_FIGURES: dict[str, Callable[..., list[Figure]]] = {
    "vra-calls": vra_calls.figures,
    "latency": latency.figures,
    "engine": engine.figures,
}
# Figures that need no lab, or start their own (the Aria backend's: vCenter + Aria labs).
OFFLINE_FIGURES: dict[str, Callable[[], list[Figure]]] = {
    "plan": plan_time.figures,
    "program": program_eval.figures,
    "aria-calls": aria_calls.figures,
}


def main(argv: list[str] | None = None) -> int:
    names = [*LAB_FIGURES, *OFFLINE_FIGURES]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=names,
                        help="run only these benchmarks (repeatable); default: all")
    parser.add_argument("--no-save", action="store_true", help="do not write results.json")
    parser.add_argument("--markdown", action="store_true",
                        help="print the README's table (Markdown) with date and machine")
    args = parser.parse_args(argv)
    chosen = args.only or names
    # With --markdown, stdout carries only the table; progress goes to stderr.
    console = Console(width=max(Console().width, 140), stderr=args.markdown)
    figures: list[Figure] = []
    started = time.monotonic()
    lab_runs = [name for name in chosen if name in LAB_FIGURES]
    if lab_runs:
        with running_labs() as (vcsim, vra):
            for name in lab_runs:
                console.print(f"[dim]running {name} ...[/dim]")
                figures += LAB_FIGURES[name](vcsim, vra)
    for name in chosen:
        if name in OFFLINE_FIGURES:
            console.print(f"[dim]running {name} ...[/dim]")
            figures += OFFLINE_FIGURES[name]()
    measured = datetime.now(UTC).strftime("%Y-%m-%d")
    if args.markdown:
        print(markdown(figures, measured=measured, on=machine()), end="")
    else:
        render(figures, console)
        console.print(f"[dim]{time.monotonic() - started:.0f} s in all[/dim]")
    if not args.no_save:
        write_json(figures, measured=measured, machine=machine())
        console.print(f"written to {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
