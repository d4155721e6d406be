"""Aria calls per lifecycle step of a fresh one-offering dev-aria stack, from the Aria lab's
request log, next to the minimal documented sequence; logins per provider process; calls made by
check/diff; GETs per Aria object on refresh.

Every step gets its own provider host process, as each `pulumi` command starts its own. The
minimal sequence is what the published API cannot do without (docs/aria8-api.md): the two logins,
the project look-up, the region list (a profile needs a regionId), one POST per object (the
version POST releases it), one item look-up, and on destroy one DELETE per deleted object plus
the version's unrelease. Where the providers send more, `REASONS` says why.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.report import Figure
from lab.aria import AriaLab, start_aria
from lab.vcsim import VcsimLab, start_vcsim
from tests.support.aria_fixture import STACK, aria_stack_config
from tests.support.dynamic_host import DynamicHost, urn
from tests.support.engine import LabEngine

COMMAND = "python -m bench --only aria-calls"
WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}
ARIA_TYPE = "pulumi-python:dynamic/aria:"
CSP, IAAS = "POST /csp/gateway/am/api/login", "POST /iaas/api/login"
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f-]{27}|/v-[0-9a-f]{12}")

MINIMAL: dict[str, Counter[str]] = {
    "create": Counter({
        CSP: 1, IAAS: 1,
        "GET /iaas/api/projects": 1,
        "GET /iaas/api/regions": 1,
        "POST /iaas/api/image-profiles": 1,
        "POST /iaas/api/flavor-profiles": 1,
        "POST /blueprint/api/blueprints": 1,
        "POST /blueprint/api/blueprints/{id}/versions": 1,
        "POST /catalog/api/admin/sources": 1,
        "GET /catalog/api/admin/items": 1,
        "POST /policy/api/policies": 1,
    }),
    "no-change": Counter(),
    "refresh": Counter({
        CSP: 1, IAAS: 1,
        "GET /iaas/api/projects/{id}": 1,
        "GET /iaas/api/image-profiles/{id}": 1,
        "GET /iaas/api/flavor-profiles/{id}": 1,
        "GET /blueprint/api/blueprints/{id}": 1,
        "GET /blueprint/api/blueprints/{id}/versions/{id}": 1,
        "GET /catalog/api/admin/sources/{id}": 1,
        "GET /catalog/api/admin/items": 1,
        "GET /policy/api/policies/{id}": 1,
    }),
    "destroy": Counter({
        CSP: 1, IAAS: 1,
        "DELETE /policy/api/policies/{id}": 1,
        "DELETE /catalog/api/admin/sources/{id}": 1,
        "POST /blueprint/api/blueprints/{id}/versions/{id}/actions/unrelease": 1,
        "DELETE /blueprint/api/blueprints/{id}": 1,
        "DELETE /iaas/api/flavor-profiles/{id}": 1,
        "DELETE /iaas/api/image-profiles/{id}": 1,
    }),
}
REASONS = {
    "GET /iaas/api/image-profiles": "look-up by name before the POST: an existing profile is "
    "adopted only when its owner marker is this resource's (Aria ids are server-chosen)",
    "GET /iaas/api/flavor-profiles": "the same look-up by name for the flavor profile",
    "GET /iaas/api/regions": "each profile resolves its region on its own (no shared state "
    "between resources)",
    "GET /blueprint/api/blueprints": "look-up by name in the project: Aria allows duplicate "
    "template names, so a retried create must find its own first",
    "GET /catalog/api/admin/sources": "look-up by name before the POST (ownership, adoption)",
    "GET /policy/api/policies": "look-up by name before the POST (ownership, adoption)",
    "GET /catalog/api/admin/items": "polls while the content source's import finishes (the "
    "item appears after the POST is answered)",
    "GET /policy/api/policies/{id}": "delete reads the object first: only an object whose owner "
    "marker is this resource's is deleted",
    "GET /catalog/api/admin/sources/{id}": "the same ownership read before delete",
    "GET /blueprint/api/blueprints/{id}": "the same ownership read before delete",
    "GET /blueprint/api/blueprints/{id}/versions/{id}": "the same ownership read before unrelease",
    "GET /iaas/api/flavor-profiles/{id}": "the same ownership read before delete",
    "GET /iaas/api/image-profiles/{id}": "the same ownership read before delete",
}


def call_template(entry: dict[str, Any]) -> str:
    return f"{entry['method']} {_ID.sub('/{id}', entry['path'])}"


def _step(aria: AriaLab, config: dict[str, str], work: Callable[[DynamicHost], None]
          ) -> list[dict[str, Any]]:
    aria.clear_requests()
    with DynamicHost(config=config) as host:
        work(host)
    return aria.requests()


def lifecycle(vcsim: VcsimLab, aria: AriaLab) -> dict[str, list[dict[str, Any]]]:
    config, secret_keys = aria_stack_config(vcsim, aria)
    config["gpu-mlaas:offerings"] = json.dumps(json.loads(config["gpu-mlaas:offerings"])[:1])
    engine = LabEngine(host=None, stack=STACK)  # type: ignore[arg-type]

    def up(host: DynamicHost) -> None:
        engine.host = host
        engine.up(config, secret_keys)

    def refresh(host: DynamicHost) -> None:
        records = [r for r in engine.state.values() if r.type.startswith(ARIA_TYPE)]

        def read(record: Any) -> None:
            host.read(record.id, urn(record.type, record.name, STACK), record.outputs)

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(read, records))

    def destroy(host: DynamicHost) -> None:
        engine.host = host
        engine.destroy()

    logs = {"create": _step(aria, config, up), "no-change": _step(aria, config, up)}
    if {op for op, _ in engine.operations} != {"same"}:
        raise RuntimeError(f"the no-change run changed something: {engine.operations}")
    logs["refresh"] = _step(aria, config, refresh)
    logs["destroy"] = _step(aria, config, destroy)
    return logs


def _note(actual: Counter[str], minimal: Counter[str]) -> str:
    extra, missing = actual - minimal, minimal - actual
    parts = [f"{call} x{n}: {REASONS.get(call.split('?')[0], 'not explained yet')}"
             for call, n in extra.items()]
    parts += [f"{call} x{n} not made" for call, n in missing.items()]
    return " | ".join(parts)


def figures() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-aria-") as folder:
        with start_vcsim(ca_dir=Path(folder)) as vcsim, start_aria(vcenter=vcsim) as aria:
            aria.set_seed(catalogItemDelaySeconds=0.3)
            logs = lifecycle(vcsim, aria)
    out: list[Figure] = []
    for name, log in logs.items():
        actual = Counter(call_template(e) for e in log)
        minimal = MINIMAL[name]
        total, least = sum(actual.values()), sum(minimal.values())
        out.append(Figure(
            key=f"aria-calls-{name}", title=f"Aria calls, {name} (1 offering)",
            value=float(total), unit="calls", target=f"minimal {least}", met=total <= least,
            command=COMMAND, note=_note(actual, minimal),
            details={"actual": dict(actual), "minimal": dict(minimal)},
        ))
    logins = {name: (sum(1 for e in log if call_template(e) == CSP),
                     sum(1 for e in log if call_template(e) == IAAS))
              for name, log in logs.items()}
    worst = max((max(pair) for pair in logins.values()), default=0)
    out.append(Figure(
        key="aria-logins-per-process", title="Aria logins (CSP, IaaS) per provider process",
        value=float(worst), unit="max", target="1", met=worst <= 1, command=COMMAND,
        details={"byStep": {k: list(v) for k, v in logins.items()}},
    ))
    no_change = logs["no-change"]
    out.append(Figure(
        key="aria-calls-check-diff", title="Aria calls made by check/diff (no-change run)",
        value=float(len(no_change)), unit="calls", target="0", met=not no_change,
        command=COMMAND,
    ))
    reads = Counter(call_template(e) for e in logs["refresh"] if e["method"] == "GET"
                    and e["path"] != "/catalog/api/admin/items")
    out.append(Figure(
        key="aria-refresh-gets-per-object", title="GETs per Aria object on refresh",
        value=float(max(reads.values(), default=0)), unit="max", target="exactly 1",
        met=set(reads.values()) == {1}, command=COMMAND, details={"byCall": dict(reads)},
    ))
    return out
