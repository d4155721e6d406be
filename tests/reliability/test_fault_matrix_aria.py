"""The Aria fault matrix through the SDK provider host: every mutating Aria step of a dev-aria
deploy times every fault kind, with the whole program run by the lab engine.

Per case, as for vRA (test_fault_matrix_vra.py): the fault fires once at its step during `up`;
that run either succeeds (the client retried) or fails with an error naming the Aria method and
path. Faults cleared, the next `up` converges to exactly the objects of a clean deploy, a further
`up` is all "same", and `destroy` leaves the Aria lab at its seed and vCenter as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lab.aria import AriaLab, start_aria
from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import vm_names
from providers.aria.project import ProjectProvider
from tests.reliability.test_fault_matrix_vra import FAULTS, settle
from tests.support.aria_fixture import STACK, aria_stack_config
from tests.support.dynamic_host import DynamicHost, ProviderCallError, provider_blob, urn
from tests.support.engine import LabEngine

TIMEOUT_SECONDS = 1.0
CATALOG_DELAY_SECONDS = 0.02
PROJECT_TYPE = "pulumi-python:dynamic/aria:Project"
KINDS = ("projects", "imageProfiles", "flavorProfiles", "blueprints", "sources",
         "catalogItems", "policies")

# Every (method, path template) a clean deploy sends that is not a GET, logins included.
# `test_matrix_covers_every_mutating_step_of_a_deploy` re-derives this from the request log.
STEPS = {
    "csp-login": ("POST", "/csp/gateway/am/api/login"),
    "iaas-login": ("POST", "/iaas/api/login"),
    "image-profile-post": ("POST", "/iaas/api/image-profiles"),
    "flavor-profile-post": ("POST", "/iaas/api/flavor-profiles"),
    "template-post": ("POST", "/blueprint/api/blueprints"),
    "version-post": ("POST", "/blueprint/api/blueprints/{id}/versions"),
    "source-post": ("POST", "/catalog/api/admin/sources"),
    "policy-post": ("POST", "/policy/api/policies"),
}
LOGINS = {STEPS["csp-login"], STEPS["iaas-login"]}
# Refused outright (urllib3 resends) or a token expired (one re-login); every other failed POST
# may have been stored, so the client re-reads, finds nothing yet, and the run fails.
RECOVERED = {"503-retry-after", "429-retry-after", "expired-token"}


def path_template(path: str) -> str:
    parts = path.split("/")
    if parts[1] == "blueprint" and len(parts) > 4:
        parts[4] = "{id}"
    return "/".join(parts)


def mutating_steps(log: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["method"], path_template(r["path"])) for r in log if r["method"] != "GET"}


def object_counts(aria: AriaLab) -> dict[str, int]:
    state = aria.state()
    return {**{kind: state[kind]["count"] for kind in KINDS},
            "releasedVersions": state["versions"]["released"]}


@dataclass
class Matrix:
    vcsim: VcsimLab
    aria: AriaLab
    host: DynamicHost
    config: dict[str, str]
    secret_keys: list[str]
    resources: set[str]
    objects: dict[str, int]
    seed: dict[str, int]
    steps: set[tuple[str, str]]
    vms: set[str]

    def fresh_aria(self, log_in: bool) -> None:
        self.aria.restore_seed()
        self.aria.set_seed(catalogItemDelaySeconds=CATALOG_DELAY_SECONDS)
        if not log_in:  # the run's first call gets a 401 and logs in again: the login cases
            return
        # The reset dropped every token this long-lived host holds; one read logs it in again,
        # so the case's fault lands on a call made with a valid token, as in a real run.
        props = {"__provider": provider_blob(ProjectProvider()),
                 "endpoint": {"url": self.aria.url}, "name": "absent", "created": True}
        assert self.host.read("absent", urn(PROJECT_TYPE, "login", STACK), props)[0] == ""


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    folder = tmp_path_factory.mktemp("fault-matrix-aria")
    with start_vcsim(ca_dir=folder) as vcsim, start_aria(vcenter=vcsim) as aria:
        config, secret_keys = aria_stack_config(vcsim, aria)
        config["gpu-mlaas:aria"] = json.dumps(
            json.loads(config["gpu-mlaas:aria"]) | {"timeoutSeconds": TIMEOUT_SECONDS}
        )
        with DynamicHost(config=config) as host:
            vms = vm_names(vcsim)
            aria.set_seed(catalogItemDelaySeconds=CATALOG_DELAY_SECONDS)
            seed = object_counts(aria)
            engine = LabEngine(host=host, stack=STACK)
            engine.up(config, secret_keys)
            clean = Matrix(vcsim, aria, host, config, secret_keys, set(engine.state),
                           object_counts(aria), seed, mutating_steps(aria.requests()), vms)
            engine.destroy()
            yield clean


def test_matrix_covers_every_mutating_step_of_a_deploy(matrix: Matrix) -> None:
    assert matrix.steps == set(STEPS.values())
    assert matrix.objects == {"projects": 1, "imageProfiles": 2, "flavorProfiles": 2,
                              "blueprints": 2, "sources": 1, "catalogItems": 2, "policies": 2,
                              "releasedVersions": 2}


def assert_fails_clearly(error: ProviderCallError, method: str, template: str) -> None:
    last = error.details.strip().splitlines()[-1]
    path = re.escape(template).replace(re.escape("{id}"), "[^/ ]+")
    assert re.fullmatch(rf"[\w.]*AriaError: Aria {method} {path}(\?access_token)? failed: .+",
                        last), last


CASES = [
    pytest.param(step, fault_kind, id=f"{step_id}-{fault_kind}")
    for step_id, step in STEPS.items()
    for fault_kind in FAULTS
]


@pytest.mark.parametrize(("step", "fault_kind"), CASES)
def test_fault_once_then_rerun_converges(
    matrix: Matrix, step: tuple[str, str], fault_kind: str
) -> None:
    method, template = step
    aria = matrix.aria
    matrix.fresh_aria(log_in=step not in LOGINS)
    aria.inject(method=method, pathPrefix=template.split("{id}")[0], count=1, **FAULTS[fault_kind])
    engine = LabEngine(host=matrix.host, stack=STACK)
    recovers = fault_kind in RECOVERED
    try:
        engine.up(matrix.config, matrix.secret_keys)
    except ProviderCallError as error:
        assert not recovers, f"the client should have retried: {error}"
        assert_fails_clearly(error, method, template)
    else:
        assert recovers, "the run succeeded although the fault cannot be retried"
    faulted = [r for r in aria.requests() if r["fault"]]
    assert [(r["method"], path_template(r["path"])) for r in faulted] == [step]

    settle(aria)
    aria.clear_faults()
    engine.up(matrix.config, matrix.secret_keys)
    assert set(engine.state) == matrix.resources
    assert object_counts(aria) == matrix.objects  # nothing twice

    engine.up(matrix.config, matrix.secret_keys)
    assert {op for op, _ in engine.operations} == {"same"}

    engine.destroy()
    assert object_counts(aria) == matrix.seed
    assert vm_names(matrix.vcsim) == matrix.vms
