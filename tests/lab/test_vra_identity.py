"""vRA lab, identity service: token life cycle, 401s, business group and principal look-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from lab.vra import VraLab
from tests.support.vra_fixture import VraApi, vra_error
from tests.support.wait import wait_until

TOKENS = "/identity/api/tokens"
SERVICES = "/catalog-service/api/services"


def test_token_issue_validate_use_and_revoke(vra: VraLab) -> None:
    api = VraApi(vra)
    response = api.post(
        TOKENS, {"username": vra.username, "password": vra.password, "tenant": vra.tenant}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"expires", "id", "tenant"}
    assert body["tenant"] == "vsphere.local"
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    lifetime = (expires - datetime.now(UTC)).total_seconds()
    assert 7 * 3600 < lifetime <= 8 * 3600  # default lifetime 8 h
    token = body["id"]

    assert api.call("HEAD", f"{TOKENS}/{token}").status_code == 204
    api.token = token
    assert api.get(SERVICES).status_code == 200

    assert api.delete(f"{TOKENS}/{token}").status_code == 204
    assert api.call("HEAD", f"{TOKENS}/{token}").status_code == 401
    refused = api.get(SERVICES)
    assert refused.status_code == 401
    assert vra_error(refused)["code"] == 90136


def test_bad_credentials_and_tenant_give_90135(vra: VraLab) -> None:
    api = VraApi(vra)
    for creds in (
        {"username": vra.username, "password": "wrong", "tenant": vra.tenant},
        {"username": "nobody@vsphere.local", "password": vra.password, "tenant": vra.tenant},
        {"username": vra.username, "password": vra.password, "tenant": "other.tenant"},
    ):
        response = api.post(TOKENS, creds)
        assert response.status_code == 401
        error = vra_error(response)
        assert error["code"] == 90135
        assert creds["username"] in error["systemMessage"]
    assert vra.state()["tokens"]["count"] == 0


def test_malformed_token_request_is_400_naming_the_key(vra: VraLab) -> None:
    response = VraApi(vra).post(TOKENS, {"username": vra.username, "tenant": vra.tenant})
    assert response.status_code == 400
    assert "password" in vra_error(response)["systemMessage"]


def test_calls_without_valid_token_are_401_with_error_body(vra: VraLab) -> None:
    api = VraApi(vra)
    assert api.get(SERVICES).status_code == 401
    api.token = "not-a-token"
    response = api.get("/composition-service/api/blueprints")
    assert response.status_code == 401
    assert "invalid or expired" in vra_error(response)["systemMessage"]
    assert api.call("HEAD", f"{TOKENS}/not-a-token").status_code == 401
    # Revoking needs a valid bearer token too.
    assert api.delete(f"{TOKENS}/not-a-token").status_code == 401


def test_token_expires_after_its_lifetime(vra: VraLab) -> None:
    vra.set_seed(tokenLifetimeSeconds=0.2)
    api = VraApi(vra)
    token = api.login()
    wait_until(lambda: api.call("HEAD", f"{TOKENS}/{token}").status_code != 204, "token expiry")
    assert api.get(SERVICES).status_code == 401
    api.login()  # a fresh login works again
    assert api.get(SERVICES).status_code == 200


def test_business_group_lookup_by_name(vra_api: VraApi) -> None:
    tenant = vra_api.lab.tenant
    response = vra_api.get(
        f"/identity/api/tenants/{tenant}/subtenants",
        params={"$filter": "name eq 'Machine Learning Group'"},
    )
    assert response.status_code == 200
    page = response.json()
    assert [g["id"] for g in page["content"]] == [vra_api.lab.business_group_id]
    assert page["content"][0]["name"] == vra_api.lab.business_group
    missing = vra_api.get(
        f"/identity/api/tenants/{tenant}/subtenants", params={"$filter": "name eq 'Nope'"}
    )
    assert missing.json()["content"] == []
    assert vra_api.get("/identity/api/tenants/other/subtenants").status_code == 404


def test_principal_and_group_lookups(vra_api: VraApi) -> None:
    base = f"/identity/api/tenants/{vra_api.lab.tenant}"
    user = vra_api.get(f"{base}/principals/dataadmin@vsphere.local")
    assert user.status_code == 200
    assert user.json()["principalId"] == {"domain": "vsphere.local", "name": "dataadmin"}
    group = vra_api.get(f"{base}/groups/ml-users@vsphere.local")
    assert group.status_code == 200
    assert group.json()["principalId"] == {"domain": "vsphere.local", "name": "ml-users"}
    # The login user is a principal too.
    assert vra_api.get(f"{base}/principals/{vra_api.lab.username}").status_code == 200
    # Unknown, or the wrong kind: 404 with an error body naming it.
    for path in (
        f"{base}/principals/ghost@vsphere.local",
        f"{base}/groups/dataadmin@vsphere.local",
    ):
        response = vra_api.get(path)
        assert response.status_code == 404
        error = vra_error(response)
        assert error["code"] == 20116
        assert path.rsplit("/", 1)[1] in error["systemMessage"]
    # A group's name on the user route is not a 404 (issue 10): no client may read it so.
    as_user = vra_api.get(f"{base}/principals/ml-users@vsphere.local")
    assert as_user.status_code == 400 and vra_error(as_user)["code"] == 10101


def test_user_and_group_search(vra_api: VraApi) -> None:
    base = f"/identity/api/tenants/{vra_api.lab.tenant}"
    query = {"criteria": "ml-users", "domain": "vsphere.local"}
    users = vra_api.get(f"{base}/principals", params=query).json()["content"]
    groups = vra_api.get(f"{base}/groups", params=query).json()["content"]
    assert users == []  # a list, never an error, when the name is a group's
    assert [g["principalId"] for g in groups] == [{"domain": "vsphere.local", "name": "ml-users"}]
    other_domain = {"criteria": "ml-users", "domain": "corp.local"}
    assert vra_api.get(f"{base}/groups", params=other_domain).json()["content"] == []


def test_unknown_path_and_malformed_json_get_vra_error_bodies(vra_api: VraApi) -> None:
    missing = vra_api.get("/catalog-service/api/nothing-here")
    assert missing.status_code == 404
    assert vra_error(missing)["code"] == 20116
    malformed = vra_api.call(
        "POST",
        "/catalog-service/api/services",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert vra_error(malformed)["systemMessage"].startswith("Invalid request")
