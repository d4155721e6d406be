"""`python -m mlaas plan`: the sizing plan of a stack, offline (no network, no Pulumi engine).

Exit codes: 0 feasible, 1 the plan has problems (still printed), 2 unreadable or invalid config.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mlaas.config import ConfigError, parse_config, read_stack_file, stack_file, stack_name
from mlaas.sizing import Plan, plan

EXIT_FEASIBLE, EXIT_PROBLEMS, EXIT_BAD_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlaas", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan_cmd = commands.add_parser("plan", help="print the GPU slot capacity and VM sizing plan")
    source = plan_cmd.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="read Pulumi.<STACK>.yaml (default: dev)")
    source.add_argument("--stack-file", type=Path, help="read this stack settings file instead")
    plan_cmd.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _render(result: Plan, console: Console) -> None:
    pools = Table(title="GPU host pools")
    for column in ("pool", "hosts", "profile", "GPU", "vGPU GB", "slots/GPU", "slots/host",
                   "slots total", "vCPUs/VM", "cores/socket"):
        left = column in {"pool", "profile", "GPU"}
        pools.add_column(column, justify="left" if left else "right")
    for pool in result.pools:
        cap = pool.capacity
        # A passthrough pool has no profile: its VMs take whole GPUs.
        profile = pool.vgpu_profile or f"passthrough, {pool.config.gpus_per_vm} GPU(s)/VM"
        pools.add_row(pool.name, str(pool.hosts), profile, pool.gpu_type or "-",
                      str(pool.framebuffer_gb or "-"), str(cap.slots_per_gpu),
                      str(cap.slots_per_host), str(cap.slots_total), str(cap.vcpus_per_vm),
                      str(cap.cores_per_socket))
    offerings = Table(title="Catalog offerings")
    for column in ("offering", "pool", "max instances", "vCPUs", "cores/socket", "memory GB"):
        offerings.add_column(column, justify="left" if column in {"offering", "pool"} else "right")
    for offering in result.offerings:
        offerings.add_row(offering.name, offering.pool or "(CPU only)", str(offering.max_instances),
                          str(offering.vcpus), str(offering.cores_per_socket),
                          str(offering.memory_gb))
    console.print(pools)
    console.print(offerings)
    if result.feasible:
        console.print("[green]plan is feasible[/green]")
        return
    console.print(f"[red]{len(result.problems)} problem(s):[/red]")
    for problem in result.problems:
        console.print(f"  {problem.path}: {problem.message}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = args.stack_file or stack_file(args.stack)
    try:
        config = parse_config(read_stack_file(path), args.stack if args.stack_file is None
                              else stack_name(path))
    except ConfigError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    result = plan(config)
    code = EXIT_FEASIBLE if result.feasible else EXIT_PROBLEMS
    try:
        if args.json:
            print(json.dumps(result.as_json()))
        else:
            # Wide enough for the pool table when stdout is a pipe (rich falls back to 80 columns).
            _render(result, _Console(width=max(Console().width, 132)))
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
    return code


def _drop_stdout() -> None:
    """The reader went away (`plan | head -1`): the plan's exit code still holds. Point stdout
    at /dev/null so the interpreter's final flush does not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich's own handler exits with 1 whatever the plan says.
        self.quiet = True
        _drop_stdout()
