"""A fault at every mutating step: the run succeeds through retries or fails clearly, and a
re-run converges to exactly one of each object (no duplicate, no orphan)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from providers.vra.client import VraError
from tests.providers.vra.chain import NOTHING, ONE_OF_EACH, Chain, object_counts

SC = "/software-service/api/softwarecomponenttypes"
BP = "/composition-service/api/blueprints"
DOCS = "/composition-service/api/blueprintdocuments"
SVC = "/catalog-service/api/services"
ITEMS = "/catalog-service/api/catalogItems/"
ENT = "/catalog-service/api/entitlements"

CREATE_STEPS = {
    "component-post": ("POST", SC),
    "component-publish": ("PUT", SC + "/"),
    "blueprint-put": ("PUT", DOCS + "/"),
    "blueprint-publish": ("PUT", BP + "/"),
    "service-post": ("POST", SVC),
    "item-put": ("PUT", ITEMS),
    "entitlement-post": ("POST", ENT),
}
DELETE_STEPS = {
    "entitlement-end": ("PUT", ENT + "/"),
    "service-retire": ("PUT", SVC + "/"),
    "blueprint-retire": ("PUT", BP + "/"),
    "blueprint-delete": ("DELETE", BP + "/"),
    "component-delete": ("DELETE", SC + "/"),
}
FAULTS = {
    "500": {"status": 500},
    "503-retry-after": {"status": 503, "retryAfter": 0.2},
    "429-retry-after": {"status": 429, "retryAfter": 0.2},
    "dropped": {"drop": True},
    "expired-token": {"expireToken": True},
}


def _through_one_fault(
    lab: Any, step: tuple[str, str], fault: dict[str, Any], action: Callable[[], object]
) -> None:
    """`action` with one `fault` on `step`: retried past it, or failed with a line naming the
    call; the fault was hit once, and is gone afterwards."""
    method, prefix = step
    lab.inject(method=method, pathPrefix=prefix, count=1, **fault)
    try:
        action()
    except VraError as exc:
        text = str(exc)
        assert f"vRA {method} {prefix.rstrip('/')}" in text
        assert "HTTP 500" in text or "no response" in text
    hit = [r for r in lab.requests() if r["fault"]]
    assert [(r["method"], r["path"].startswith(prefix)) for r in hit] == [(method, True)]
    lab.clear_faults()


@pytest.fixture
def fast_catalog(creds: Any) -> Any:
    creds.set_seed(catalogItemDelaySeconds=0.05)
    return creds


@pytest.mark.parametrize("fault", FAULTS.values(), ids=list(FAULTS))
@pytest.mark.parametrize("step", CREATE_STEPS.values(), ids=list(CREATE_STEPS))
def test_fault_during_create_then_rerun_converges(
    endpoint: dict[str, Any], fast_catalog: Any, step: tuple[str, str], fault: dict[str, Any]
) -> None:
    chain = Chain(endpoint)
    _through_one_fault(fast_catalog, step, fault, chain.up)
    chain.up()  # the next `pulumi up`: created ones are in state, the rest are created
    assert object_counts(fast_catalog) == ONE_OF_EACH
    chain.down()
    assert object_counts(fast_catalog) == NOTHING


@pytest.mark.parametrize("fault", FAULTS.values(), ids=list(FAULTS))
@pytest.mark.parametrize("step", DELETE_STEPS.values(), ids=list(DELETE_STEPS))
def test_fault_during_delete_then_rerun_converges(
    endpoint: dict[str, Any], fast_catalog: Any, step: tuple[str, str], fault: dict[str, Any]
) -> None:
    chain = Chain(endpoint).up()
    _through_one_fault(fast_catalog, step, fault, chain.down)
    chain.down()
    assert object_counts(fast_catalog) == NOTHING


def test_persistent_outage_fails_clearly_after_bounded_retries(
    endpoint: dict[str, Any], fast_catalog: Any
) -> None:
    fast_catalog.inject(method="PUT", pathPrefix=SC + "/", count=50, status=503, retryAfter=0.05)
    with pytest.raises(VraError, match=rf"vRA PUT {SC}/.*HTTP 503"):
        Chain(endpoint).up()
    faulted = [r for r in fast_catalog.requests() if r["fault"]]
    assert 1 < len(faulted) <= 6  # retried, but not forever
    fast_catalog.clear_faults()
    Chain(endpoint).up()
    assert object_counts(fast_catalog) == ONE_OF_EACH
