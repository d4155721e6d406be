"""vRA lab operator endpoints: faults, request log, seed, reset, state, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from lab.vra import LabError, VraLab
from tests.support.vra_fixture import VraApi, vra_error

BLUEPRINTS = "/composition-service/api/blueprints"
SERVICES = "/catalog-service/api/services"


def test_status_fault_hits_the_next_n_matching_calls(vra_api: VraApi) -> None:
    vra_api.lab.clear_requests()
    vra_api.lab.inject(
        method="GET", pathPrefix="/composition-service/", count=2, status=503, retryAfter=2
    )
    assert vra_api.get(SERVICES).status_code == 200  # other path: untouched
    other_method = vra_api.put(f"{BLUEPRINTS.replace('blueprints', 'blueprintdocuments')}/X", {})
    assert other_method.status_code == 400  # other method: untouched
    for _ in range(2):
        faulted = vra_api.get(BLUEPRINTS)
        assert faulted.status_code == 503
        assert faulted.headers["Retry-After"] == "2"
        assert "Injected" in vra_error(faulted)["systemMessage"]
    assert vra_api.get(BLUEPRINTS).status_code == 200
    log = vra_api.lab.requests()
    assert [(e["method"], e["status"], e["fault"]) for e in log] == [
        ("GET", 200, None),
        ("PUT", 400, None),
        ("GET", 503, "status:503"),
        ("GET", 503, "status:503"),
        ("GET", 200, None),
    ]
    assert vra_api.lab.state()["faults"]["count"] == 0


def test_dropped_connection_gets_no_response(vra_api: VraApi) -> None:
    vra_api.lab.clear_requests()
    vra_api.lab.inject(pathPrefix=SERVICES, drop=True)
    with pytest.raises(requests.ConnectionError):
        vra_api.get(SERVICES)
    assert vra_api.get(SERVICES).status_code == 200  # count 1: only once
    first, second = vra_api.lab.requests()
    assert (first["status"], first["fault"]) == (None, "drop")
    assert (second["status"], second["fault"]) == (200, None)


def test_latency_fault_delays_the_answer(vra_api: VraApi) -> None:
    vra_api.lab.inject(pathPrefix=SERVICES, latencyMs=3000)
    with pytest.raises(requests.Timeout):
        vra_api.get(SERVICES, timeout=0.3)
    assert vra_api.lab.requests()[-1]["fault"] == "latency:3000ms"
    vra_api.lab.inject(pathPrefix=SERVICES, latencyMs=10, status=502)
    slow_error = vra_api.get(SERVICES)
    assert slow_error.status_code == 502
    assert vra_api.lab.requests()[-1]["fault"] == "latency:10ms+status:502"


def test_expire_token_fault_expires_the_callers_token(vra_api: VraApi) -> None:
    token = vra_api.token
    vra_api.lab.inject(method="PUT", expireToken=True)
    assert vra_api.get(SERVICES).status_code == 200  # a GET does not match
    expired = vra_api.put(f"{SERVICES}/x", {"name": "x"})
    assert expired.status_code == 401
    assert vra_error(expired)["code"] == 90136
    assert vra_api.call("HEAD", f"/identity/api/tokens/{token}").status_code == 401
    assert vra_api.get(SERVICES).status_code == 401  # stays expired
    vra_api.login()
    assert vra_api.get(SERVICES).status_code == 200


def test_clear_faults_and_reset_drop_pending_faults(vra_api: VraApi) -> None:
    vra_api.lab.inject(status=500, count=5)
    assert vra_api.lab.state()["faults"]["count"] == 1  # operator calls are never faulted
    vra_api.lab.clear_faults()
    assert vra_api.get(SERVICES).status_code == 200
    vra_api.lab.inject(status=500, count=5)
    vra_api.lab.reset()
    vra_api.login()
    assert vra_api.get(SERVICES).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"status": 503, "count": 0},
        {"status": 200},
        {"status": 503, "pathPrefix": "/__lab/state"},
        {"status": 503, "pathPrefix": "identity"},
        {"retryAfter": 3},
        {"drop": True, "bogus": 1},
    ],
)
def test_bad_fault_is_refused(vra: VraLab, fault: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(LabError, match="400"):
        vra.inject(**fault)
    assert vra.state()["faults"]["count"] == 0


def test_request_log_covers_vra_paths_only(vra_api: VraApi) -> None:
    log = vra_api.lab.requests()
    assert [(e["seq"], e["method"], e["path"]) for e in log] == [
        (1, "POST", "/identity/api/tokens")
    ]
    vra_api.get(SERVICES, params={"$filter": "name eq 'Machine Learning'", "page": 1})
    vra_api.lab.state()
    entry = vra_api.lab.requests()[-1]
    assert entry == {
        "seq": 2,
        "method": "GET",
        "path": SERVICES,
        "query": "$filter=name eq 'Machine Learning'&page=1",
        "status": 200,
        "fault": None,
    }
    vra_api.lab.clear_requests()
    assert vra_api.lab.requests() == []
    vra_api.get(SERVICES)
    assert [e["seq"] for e in vra_api.lab.requests()] == [1]


def test_reset_returns_to_seed(vra_api: VraApi) -> None:
    seed_state = vra_api.lab.state()
    vra_api.post(SERVICES, {"name": "Machine Learning"})
    vra_api.lab.add_source_machine("extra-template")
    assert vra_api.lab.state()["services"]["count"] == 1
    vra_api.lab.reset()
    after = vra_api.lab.state()
    assert after["services"] == seed_state["services"]
    assert after["sourceMachines"] == seed_state["sourceMachines"]
    assert after["tokens"]["count"] == 0 and after["requests"]["count"] == 0
    assert vra_api.get(SERVICES).status_code == 401  # tokens went with the reset


def test_seed_replace_changes_tenant_and_credentials(vra: VraLab) -> None:
    seed = vra.set_seed(
        tenant="corp",
        users=[{"username": "cloudadmin@corp.local", "password": "S3cret!"}],
        businessGroups=[{"id": "bg-1", "name": "Research"}],
        principals=[{"ref": "researchers@corp.local", "type": "GROUP", "name": "researchers"}],
        sourceMachines=[{"id": "sm-1", "name": "tf-template"}],
    )
    assert seed["catalogItemDelaySeconds"] == 0.3  # parts not sent are kept
    assert (vra.tenant, vra.username, vra.business_group) == (
        "corp",
        "cloudadmin@corp.local",
        "Research",
    )
    api = VraApi(vra)
    token = api.login()
    assert token
    assert api.source_machine("tf-template")["id"] == "sm-1"
    groups = api.get("/identity/api/tenants/corp/groups/researchers@corp.local")
    assert groups.status_code == 200
    refused = api.post(
        "/identity/api/tokens",
        {
            "username": "configurationadmin@vsphere.local",
            "password": "VMware1!",
            "tenant": "vsphere.local",
        },
    )
    assert refused.status_code == 401
    vra.restore_seed()
    assert vra.tenant == "vsphere.local"


def test_bad_seed_and_duplicate_source_machine_are_refused(vra: VraLab) -> None:
    with pytest.raises(LabError, match="400"):
        vra.set_seed(users=[{"username": "no-domain", "password": "x"}])
    with pytest.raises(LabError, match="400"):
        vra.set_seed(catalogItemDelaySeconds=-1)
    with pytest.raises(LabError, match="409"):
        vra.add_source_machine("ubuntu-gpu-template")
    assert vra.tenant == "vsphere.local"


def test_concurrent_creates_of_one_name_leave_one_object(vra_api: VraApi) -> None:
    def create(index: int) -> int:
        client = VraApi(vra_api.lab)
        client.token = vra_api.token
        return client.post(
            SERVICES, {"name": "Machine Learning", "description": str(index)}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(create, range(16)))
    assert codes == [201] + [409] * 15
    assert vra_api.lab.state()["services"]["count"] == 1
