"""The vRA fault matrix through the SDK provider host: every mutating vRA step of a deploy
times every fault kind, with the whole program run by the lab engine.

Per case: the fault fires once at its step during `up`; that run either succeeds (the client
retried) or fails with an error naming the vRA method and path. Faults cleared, the next `up`
converges (every resource present, exactly the objects of a clean deploy), a further `up` is all
"same", and `destroy` leaves nothing in vRA or vCenter. One vCenter lab, one vRA lab and one
provider host serve the module; the vRA lab goes back to its seed before each case.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lab.operated import OperatedLab
from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import vm_names
from lab.vra import VraLab, start_vra
from providers.vra.catalog_service import CatalogServiceProvider
from tests.support.dynamic_host import DynamicHost, ProviderCallError, provider_blob, urn
from tests.support.engine import LabEngine, stack_config

# The vRA client's read timeout in these tests, and an injected latency well above it.
TIMEOUT_SECONDS = 1.0
LATENCY_MS = 2 * TIMEOUT_SECONDS * 1000
CATALOG_DELAY_SECONDS = 0.02  # publish -> catalog item visible; the seed's 0.3 s only slows us
SETTLE_SECONDS = 10.0
SERVICE_TYPE = "pulumi-python:dynamic/vra:CatalogService"
KINDS = ("softwareComponents", "blueprints", "catalogItems", "services", "entitlements")

# Every (method, path template) a clean deploy sends that is not a GET, token POST included.
# `test_matrix_covers_every_mutating_step_of_a_deploy` re-derives this from the request log.
STEPS = {
    "token-post": ("POST", "/identity/api/tokens"),
    "service-post": ("POST", "/catalog-service/api/services"),
    "component-post": ("POST", "/software-service/api/softwarecomponenttypes"),
    "component-publish": ("PUT", "/software-service/api/softwarecomponenttypes/{id}/status"),
    "blueprint-put": ("PUT", "/composition-service/api/blueprintdocuments/{id}"),
    "blueprint-publish": ("PUT", "/composition-service/api/blueprints/{id}/status"),
    "item-put": ("PUT", "/catalog-service/api/catalogItems/{id}"),
    "entitlement-post": ("POST", "/catalog-service/api/entitlements"),
}
# Faults the client rides out within the run: vRA refused the call outright (any method), or the
# call is idempotent (PUT) and may simply be sent again. A POST that failed any other way may have
# been stored, so the client re-reads, finds nothing yet, and the run fails.
RECOVERED_ANY_METHOD = {"503-retry-after", "429-retry-after", "expired-token"}
FAULTS: dict[str, dict[str, Any]] = {
    "500": {"status": 500},
    "503-retry-after": {"status": 503, "retryAfter": 0.2},
    "429-retry-after": {"status": 429, "retryAfter": 0.2},
    "expired-token": {"expireToken": True},
    "dropped": {"drop": True},
    "slow": {"latencyMs": LATENCY_MS},
}


def path_template(path: str) -> str:
    """`/svc/api/<collection>/<id>/...` -> `/svc/api/<collection>/{id}/...`."""
    parts = path.split("/")
    if len(parts) > 4:
        parts[4] = "{id}"
    return "/".join(parts)


def mutating_steps(log: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["method"], path_template(r["path"])) for r in log if r["method"] != "GET"}


def object_counts(vra: VraLab) -> dict[str, int]:
    """Live objects per kind; an ended (INACTIVE) entitlement is not one (vRA 7 has no DELETE
    for entitlements: a destroy ends them)."""
    state = vra.state()
    counts = {kind: state[kind]["count"] for kind in KINDS}
    counts["entitlements"] = len(state["entitlements"]["activeIds"])
    return counts


def settle(vra: OperatedLab) -> None:
    """Wait until vRA has answered every request it took (a slow one may still be running after
    the client gave up), as the time between two real `pulumi up` runs would."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        pending = [r for r in vra.requests()
                   if r["status"] is None and "drop" not in (r["fault"] or "")]
        if not pending:
            return
        assert time.monotonic() < deadline, f"vRA never answered {pending}"
        time.sleep(0.05)


@dataclass
class Matrix:
    vcsim: VcsimLab
    vra: VraLab
    host: DynamicHost
    config: dict[str, str]
    secret_keys: list[str]
    resources: set[str]  # engine keys after a clean deploy
    objects: dict[str, int]  # vRA object counts after a clean deploy
    steps: set[tuple[str, str]]  # mutating vRA steps of a clean deploy
    vms: set[str]  # vCenter VM names before any deploy

    def fresh_vra(self, log_in: bool) -> None:
        self.vra.restore_seed()
        self.vra.set_seed(catalogItemDelaySeconds=CATALOG_DELAY_SECONDS)
        if not log_in:  # the run's first call gets a 401 and logs in: the token-post cases
            return
        # The reset revoked the token this long-lived host holds, whereas a real `pulumi up` is
        # a new process that logs in first. One read (401, login, 404) logs the host in again,
        # so a case's fault lands on a call made with a valid token, as in a real run (a slow
        # POST with a revoked token would be refused, not stored).
        endpoint = {"url": self.vra.url, "tenant": self.vra.tenant}
        props = {"__provider": provider_blob(CatalogServiceProvider()), "endpoint": endpoint}
        assert self.host.read("absent", urn(SERVICE_TYPE, "login"), props)[0] == ""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    folder = tmp_path_factory.mktemp("fault-matrix-vra")
    with start_vcsim(ca_dir=folder) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim
    ) as vra:
        config, secret_keys = stack_config(vcsim, vra)
        config["gpu-mlaas:vra"] = json.dumps(
            json.loads(config["gpu-mlaas:vra"]) | {"timeoutSeconds": TIMEOUT_SECONDS}
        )
        with DynamicHost(config=config) as host:
            vms = vm_names(vcsim)
            vra.set_seed(catalogItemDelaySeconds=CATALOG_DELAY_SECONDS)
            engine = LabEngine(host=host)
            engine.up(config, secret_keys)
            clean = Matrix(vcsim, vra, host, config, secret_keys, set(engine.state),
                           object_counts(vra), mutating_steps(vra.requests()), vms)
            engine.destroy()
            yield clean


def test_matrix_covers_every_mutating_step_of_a_deploy(matrix: Matrix) -> None:
    assert matrix.steps == set(STEPS.values())
    assert matrix.objects == {"softwareComponents": 2, "blueprints": 2, "catalogItems": 2,
                              "services": 1, "entitlements": 2}


def assert_fails_clearly(error: ProviderCallError, method: str, template: str) -> None:
    """The provider's message: one line naming the object and what to do, then the vRA call."""
    lines = error.details.strip().splitlines()
    path = re.escape(template).replace(re.escape("{id}"), "[^/ ]+")
    assert re.fullmatch(rf"\s*vRA {method} {path}: .+", lines[-1]), lines[-1]
    headline = lines[-2]
    assert re.fullmatch(r"[\w.]*VraError: \w+ '.+': cannot \w+: .+; .+", headline), headline


CASES = [
    pytest.param(step, fault_kind, id=f"{step_id}-{fault_kind}")
    for step_id, step in STEPS.items()
    for fault_kind in FAULTS
]


@pytest.mark.parametrize(("step", "fault_kind"), CASES)
def test_fault_once_then_rerun_converges(
    matrix: Matrix,
    make_engine: Callable[[DynamicHost], LabEngine],
    step: tuple[str, str],
    fault_kind: str,
) -> None:
    method, template = step
    vra = matrix.vra
    matrix.fresh_vra(log_in=step != STEPS["token-post"])
    vra.inject(method=method, pathPrefix=template.split("{id}")[0], count=1, **FAULTS[fault_kind])
    engine = make_engine(matrix.host)
    recovers = fault_kind in RECOVERED_ANY_METHOD or method == "PUT"
    try:
        engine.up(matrix.config, matrix.secret_keys)
    except ProviderCallError as error:
        assert not recovers, f"the client should have retried: {error}"
        assert_fails_clearly(error, method, template)
    else:
        assert recovers, "the run succeeded although the fault cannot be retried"
    faulted = [r for r in vra.requests() if r["fault"]]
    assert [(r["method"], path_template(r["path"])) for r in faulted] == [step]

    settle(vra)
    if "latencyMs" in FAULTS[fault_kind]:  # vRA acted on it, though nobody heard the answer
        (late,) = [r for r in vra.requests() if r["fault"]]
        assert late["status"] in (200, 201), late
    vra.clear_faults()
    engine.up(matrix.config, matrix.secret_keys)
    assert set(engine.state) == matrix.resources
    assert object_counts(vra) == matrix.objects  # nothing twice

    engine.up(matrix.config, matrix.secret_keys)
    assert {op for op, _ in engine.operations} == {"same"}

    engine.destroy()
    assert object_counts(vra) == dict.fromkeys(KINDS, 0)
    assert vm_names(matrix.vcsim) == matrix.vms


@pytest.mark.parametrize("value", [0, -1, "soon", True, "nan"])
def test_timeout_setting_refuses_bad_values(
    value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.vra import settings

    monkeypatch.setattr(settings.STACK, "_values",
                        {"username": "u@x", "password": "p", "timeoutSeconds": value})
    with pytest.raises(settings.VraSettingsError, match=r"'gpu-mlaas:vra'\.timeoutSeconds"):
        settings.credentials_for(settings.Endpoint("https://vra.test", "t"))


def test_timeout_setting_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.vra import settings

    monkeypatch.setattr(settings.STACK, "_values", {"username": "u@x", "password": "p"})
    monkeypatch.setenv("VRA_TIMEOUT", "2.5")
    credentials = settings.credentials_for(settings.Endpoint("https://vra.test", "t"))
    assert credentials.timeout_seconds == 2.5
