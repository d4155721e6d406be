"""Figures 1-2: vRA calls per lifecycle step of a fresh one-offering stack, from the vRA lab's
request log, next to the minimal documented sequence (`bench.minimal`); token requests per
provider process; calls made by check/diff; writes on a no-change run; GETs per vRA object on
refresh; vCenter sessions opened per provider process.

Every step gets its own provider host process, as each `pulumi` command starts its own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.minimal import REASONS, TOKEN, Comparison, call_template, compare
from bench.report import Figure
from bench.stacks import VRA_TYPE, TimedEngine
from lab.vcsim import VcsimLab
from lab.vcsim.client import open_sessions
from lab.vra import VraLab
from providers.vra.client import path_segment
from tests.support.dynamic_host import DynamicHost, urn
from tests.support.engine import stack_config
from tests.support.vra_fixture import VraApi

COMMAND = "python -m bench --only vra-calls"
WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


@dataclass
class Step:
    name: str
    log: list[dict[str, Any]]
    vcenter_sessions: int  # opened by this step's provider process


def _run_step(
    name: str,
    vcsim: VcsimLab,
    vra: VraLab,
    engine: TimedEngine,
    config: dict[str, str],
    work: Callable[[DynamicHost], None],
) -> Step:
    before = len(open_sessions(vcsim))
    vra.clear_requests()
    with DynamicHost(config=config) as host:
        engine.host = host
        work(host)
        sessions = len(open_sessions(vcsim)) - before
    # Read the log after the host stopped: its token revocation at exit belongs to the step.
    return Step(name, vra.requests(), sessions)


def _refresh(engine: TimedEngine, host: DynamicHost) -> None:
    """Read every resource in state, four at a time, as `pulumi refresh` does."""
    records = list(engine.state.values())

    def read(record: Any) -> None:
        found, outs = host.read(record.id, urn(record.type, record.name), record.outputs)
        if found:
            record.outputs = outs

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(read, records))


def _open_collector_session(vra: VraLab) -> None:
    """The vRA lab's data collection opens its own vCenter session on the first source-machine
    look-up; open it before the steps, so their session counts are the providers' alone."""
    api = VraApi(vra)
    api.login()
    response = api.get("/iaas-proxy-provider/api/source-machines")
    if response.status_code != 200:
        raise RuntimeError(f"source-machine look-up failed: {response.text}")


def lifecycle(vcsim: VcsimLab, vra: VraLab) -> tuple[list[Step], dict[str, Any]]:
    """create, no-change, refresh and destroy of a fresh stack with one offering; returns the
    steps and the vRA resources' state records after create (key -> Record)."""
    _open_collector_session(vra)
    vra.restore_seed()
    config, secret_keys = stack_config(vcsim, vra, offerings=1)
    # Each step gives the engine its own provider host (`_run_step`).
    engine = TimedEngine(host=None, vra=vra)  # type: ignore[arg-type]

    def up(host: DynamicHost) -> None:
        engine.up(config, secret_keys)

    steps = [_run_step("create", vcsim, vra, engine, config, up)]
    vra_records = {k: r for k, r in engine.state.items() if r.type.startswith(VRA_TYPE)}
    steps.append(_run_step("no-change", vcsim, vra, engine, config, up))
    if {op for op, _ in engine.operations} != {"same"}:
        raise RuntimeError(f"the no-change run changed something: {engine.operations}")
    steps.append(_run_step("refresh", vcsim, vra, engine, config,
                           lambda host: _refresh(engine, host)))
    steps.append(_run_step("destroy", vcsim, vra, engine, config, lambda host: engine.destroy()))
    return steps, vra_records


def _explain(comparison: Comparison) -> str:
    """By how much a step exceeds its minimal sequence, call by call, and why."""
    extra, missing = comparison["extra"], comparison["missing"]
    if not extra and not missing:
        return ""
    over = comparison["actual"] - comparison["minimal"]
    parts = [f"{call} x{count}: {REASONS.get(call, 'not explained yet')}"
             for call, count in extra.items()]
    parts += [f"{call} x{count} not made" for call, count in missing.items()]
    return f"{over:+d} calls against the minimal sequence. " + " | ".join(parts)


def gets_per_object(log: list[dict[str, Any]], records: dict[str, Any]) -> dict[str, int]:
    """GETs whose path names each vRA object (by its id)."""
    counts: dict[str, int] = {}
    for key, record in records.items():
        segment = "/" + path_segment(record.id)
        counts[key.split("::")[-1]] = sum(
            1 for e in log
            if e["method"] == "GET" and (e["path"].endswith(segment) or segment + "/" in e["path"])
        )
    return counts


def figures(vcsim: VcsimLab, vra: VraLab) -> list[Figure]:
    steps, vra_records = lifecycle(vcsim, vra)
    by_name = {s.name: s for s in steps}
    out: list[Figure] = []
    for step in steps:
        c = compare(step.name, step.log)
        note = _explain(c)
        out.append(Figure(
            key=f"vra-calls-{step.name}",
            title=f"vRA calls, {step.name} (1 offering)",
            value=float(c["actual"]),
            unit="calls",
            target=f"minimal {c['minimal']}",
            met=c["actual"] <= c["minimal"],
            command=COMMAND,
            note=note,
            details=dict(c),
        ))
    tokens = {s.name: sum(1 for e in s.log if call_template(e) == TOKEN)
              for s in steps}
    worked = {name: n for name, n in tokens.items() if by_name[name].log}
    out.append(Figure(
        key="vra-tokens-per-process", title="vRA token requests per provider process",
        value=float(max(worked.values(), default=0)), unit="max", target="1",
        met=max(worked.values(), default=0) <= 1, command=COMMAND, details={"byStep": tokens},
        note="" if all(n == 1 for n in worked.values()) else f"per step: {tokens}",
    ))
    no_change = by_name["no-change"].log
    out.append(Figure(
        key="vra-calls-check-diff", title="vRA calls made by check/diff (no-change run)",
        value=float(len(no_change)), unit="calls", target="0", met=not no_change,
        command=COMMAND, details={"calls": [f"{e['method']} {e['path']}" for e in no_change]},
        note="the no-change run sends only Check and Diff to the providers",
    ))
    writes = [e for e in no_change if e["method"] in WRITE_METHODS]
    out.append(Figure(
        key="vra-writes-no-change", title="vRA write calls on a no-change run",
        value=float(len(writes)), unit="calls", target="0", met=not writes, command=COMMAND,
    ))
    per_object = gets_per_object(by_name["refresh"].log, vra_records)
    out.append(Figure(
        key="vra-refresh-gets-per-object", title="GETs per vRA object on refresh",
        value=float(max(per_object.values(), default=0)), unit="max",
        target="exactly 1", met=set(per_object.values()) == {1}, command=COMMAND,
        details={"byResource": per_object},
        note="" if set(per_object.values()) == {1} else f"per object: {per_object}",
    ))
    sessions = {s.name: s.vcenter_sessions for s in steps}
    touched = [n for name, n in sessions.items() if name in ("create", "refresh", "destroy")]
    out.append(Figure(
        key="vcenter-sessions-per-process", title="vCenter sessions opened per provider process",
        value=float(max(touched, default=0)), unit="max", target="1",
        met=all(n == 1 for n in touched), command=COMMAND, details={"byStep": sessions},
        note=f"per step: {sessions} (counted as open sessions while the host ran)",
    ))
    return out
