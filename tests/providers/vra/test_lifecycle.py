"""Each vRA resource against the lab: create, read, update, delete, drift, adoption."""

from __future__ import annotations

from typing import Any

import pytest

from providers.ownership import NotOwnedError, mark
from providers.vra.blueprint import BlueprintProvider
from providers.vra.catalog_item import CatalogItemProvider
from providers.vra.catalog_service import CatalogServiceProvider
from providers.vra.client import VraClient, VraError, client_for
from providers.vra.entitlement import EntitlementProvider
from providers.vra.settings import Endpoint
from providers.vra.software_component import SoftwareComponentProvider
from tests.providers.vra.chain import (
    GROUP,
    NOTHING,
    ONE_OF_EACH,
    Chain,
    blueprint_inputs,
    checked,
    create,
    entitlement_inputs,
    item_inputs,
    object_counts,
    owner,
    service_inputs,
    software_inputs,
    writes,
)
from tests.support.results import outs_of
from tests.support.wait import wait_until

SC = "/software-service/api/softwarecomponenttypes"
BP = "/composition-service/api/blueprints"
DOCS = "/composition-service/api/blueprintdocuments"
SVC = "/catalog-service/api/services"
ITEMS = "/catalog-service/api/catalogItems"
ENT = "/catalog-service/api/entitlements"


def vra_api(endpoint: dict[str, Any]) -> VraClient:
    """Out-of-band changes go through a plain client, as an operator's script would."""
    return client_for(Endpoint.from_input(endpoint))


def test_software_component_life_cycle(endpoint: dict[str, Any], creds: Any) -> None:
    provider = SoftwareComponentProvider()
    id_, outs = create(provider, software_inputs(endpoint))
    assert id_ == outs["softwareComponentId"]
    assert id_.startswith("Software.TFGPUcontainer_test_")  # vRA's form, unique per stack
    assert outs["publishStatus"] == "PUBLISHED"
    assert creds.state()["softwareComponents"]["ids"] == [id_]

    read = provider.read(id_, outs)
    assert (read.id, outs_of(read)) == (id_, outs)

    news = checked(provider, software_inputs(endpoint, installScript="echo v2"), outs)
    assert provider.diff(id_, outs, news).changes is True
    updated = outs_of(provider.update(id_, outs, news))
    assert updated["installScript"] == "echo v2"
    assert updated["publishStatus"] == "PUBLISHED"
    stored = vra_api(endpoint).get(f"{SC}/{id_}")
    assert stored is not None
    assert stored["lifecycleTasks"][0]["script"]["scriptContent"] == "echo v2"

    provider.delete(id_, updated)
    assert creds.state()["softwareComponents"]["count"] == 0
    provider.delete(id_, updated)  # already gone: still a success
    assert provider.read(id_, updated).id == ""


def test_software_component_drift_is_reported_and_repaired(endpoint: dict, creds: Any) -> None:
    provider = SoftwareComponentProvider()
    id_, outs = create(provider, software_inputs(endpoint))
    api = vra_api(endpoint)
    doc = api.get(f"{SC}/{id_}")
    assert doc is not None
    # Edited in the UI, in front of the owner marker (which stays).
    edited = mark("edited in the UI", owner("software"))
    api.put(f"{SC}/{id_}", {**doc, "description": edited})

    read = provider.read(id_, outs)
    assert outs_of(read)["description"] == "edited in the UI"
    assert read.inputs is not None and read.inputs["description"] == "edited in the UI"
    news = checked(provider, software_inputs(endpoint), read.inputs)
    assert provider.diff(id_, outs_of(read), news).changes is True
    repaired = outs_of(provider.update(id_, outs_of(read), news))
    assert repaired["description"] == ""
    assert (api.get(f"{SC}/{id_}") or {})["description"] == mark("", owner("software"))


def test_an_object_whose_marker_is_gone_is_never_touched(endpoint: dict, creds: Any) -> None:
    provider = SoftwareComponentProvider()
    id_, outs = create(provider, software_inputs(endpoint))
    api = vra_api(endpoint)
    doc = api.get(f"{SC}/{id_}") or {}
    api.put(f"{SC}/{id_}", {**doc, "description": "taken over by hand"})
    news = checked(provider, software_inputs(endpoint, installScript="echo v2"), outs)
    with pytest.raises(NotOwnedError, match="carries no gpu-mlaas owner marker"):
        provider.update(id_, outs, news)
    with pytest.raises(NotOwnedError):
        provider.delete(id_, outs)
    assert creds.state()["softwareComponents"]["ids"] == [id_]


def test_create_adopts_what_a_lost_run_left_and_writes_nothing(
    endpoint: dict[str, Any], creds: Any
) -> None:
    first = Chain(endpoint).up()
    assert object_counts(creds) == ONE_OF_EACH
    creds.clear_requests()

    again = Chain(endpoint).up()  # same program, state lost: everything is found and adopted
    assert object_counts(creds) == ONE_OF_EACH
    # Client-chosen ids are POSTed without a look-up first; vRA refuses them (409), nothing
    # else is written.
    attempts = [(r["method"], r["path"], r["status"]) for r in creds.requests()
                if r["method"] != "GET"]
    assert attempts == [("POST", SC, 409)]
    for name in ("software", "blueprint", "service", "item", "entitlement"):
        assert again.id(name) == first.id(name)
    assert again.outs("service")["adopted"] is False  # its marker proves it is this one's


def test_another_stack_is_refused_and_destroys_nothing_of_the_first(
    endpoint: dict[str, Any], creds: Any
) -> None:
    """Same config, another stack: the service (another's) is used but never written; the
    first object it would have to share fails naming its owner; its destroy removes only
    what it made, and every object of the first stack is still there."""
    first = Chain(endpoint).up()
    before = creds.state()
    prod = Chain(endpoint, stack="prod")
    with pytest.raises(NotOwnedError, match=r"belongs to gpu-mlaas/test/software.*import"):
        prod.up()
    prod.down()
    after = creds.state()
    for kind in ("softwareComponents", "blueprints", "catalogItems", "services"):
        assert after[kind]["ids"] == before[kind]["ids"], kind
    assert after["entitlements"]["activeIds"] == before["entitlements"]["activeIds"]
    assert set(first.created) == {"software", "blueprint", "service", "item", "entitlement"}


def test_identical_second_run_makes_no_calls(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()
    creds.clear_requests()
    for _name, (provider, id_, outs) in chain.created.items():
        program = {k: v for k, v in outs.items() if k in provider.inputs_model.model_fields}
        news = checked(provider, program, outs)
        result = provider.diff(id_, outs, news)
        assert result.changes is False, _name
    assert creds.requests() == []


def test_blueprint_life_cycle(endpoint: dict[str, Any], creds: Any) -> None:
    software_id, _ = create(SoftwareComponentProvider(), software_inputs(endpoint))
    mine = {"endpoint": endpoint, "owner": owner("software")}
    provider = BlueprintProvider()
    id_, outs = create(provider, blueprint_inputs(endpoint, software_id, network="ml-net"))
    assert id_.startswith("MLTensorFlowGPU_test_")
    stored = vra_api(endpoint).get(f"{DOCS}/{id_}") or {}
    assert stored["components"]["software"]["data"]["host"] == "${_resource~gpu_vm}"
    layout, version = stored["layout"], stored["version"]
    assert outs["publishStatus"] == "PUBLISHED"
    assert outs["sourceMachineId"]
    assert outs_of(provider.read(id_, outs)) == outs

    news = checked(provider, blueprint_inputs(endpoint, software_id, cpu=4, maxInstances=2), outs)
    changed = provider.diff(id_, outs, news)
    assert changed.changes is True and changed.replaces == []
    updated = outs_of(provider.update(id_, outs, news))
    assert (updated["cpu"], updated["maxInstances"]) == (4, 2)
    assert "network" not in updated
    reread = provider.read(id_, updated)
    assert outs_of(reread)["cpu"] == 4 and "network" not in outs_of(reread)
    # Read-modify-write: the server's fields went back as they were read.
    stored = vra_api(endpoint).get(f"{DOCS}/{id_}") or {}
    assert stored["layout"] == layout and stored["version"] == version + 1

    # The software component is still used by the blueprint: vRA refuses, clearly.
    with pytest.raises(VraError) as refused:
        SoftwareComponentProvider().delete(software_id, mine)
    assert refused.value.status == 409 and "in use" in str(refused.value)

    provider.delete(id_, updated)
    assert creds.state()["blueprints"]["count"] == 0
    provider.delete(id_, updated)
    SoftwareComponentProvider().delete(software_id, mine)


def test_blueprint_drift_and_out_of_band_delete(endpoint: dict[str, Any], creds: Any) -> None:
    provider = BlueprintProvider()
    id_, outs = create(provider, blueprint_inputs(endpoint, None))
    api = vra_api(endpoint)
    doc = api.get(f"{DOCS}/{id_}")
    assert doc is not None
    doc["components"]["gpu_vm"]["data"]["cpu"] = {"default": 2, "min": 2, "max": 2}
    api.put(f"{DOCS}/{id_}", doc)
    assert outs_of(provider.read(id_, outs))["cpu"] == 2

    api.delete(f"{BP}/{id_}")
    gone = provider.read(id_, outs)
    assert gone.id == ""
    # Ids are client-chosen: an update after an out-of-band delete simply makes it again.
    again = outs_of(provider.update(id_, outs, checked(provider, blueprint_inputs(endpoint, None))))
    assert again["publishStatus"] == "PUBLISHED"
    assert creds.state()["blueprints"]["ids"] == [id_]


def test_blueprint_with_unknown_template_fails_before_any_write(
    endpoint: dict[str, Any], creds: Any
) -> None:
    provider = BlueprintProvider()
    with pytest.raises(VraError, match="'no-such-template'.*templateName"):
        create(provider, blueprint_inputs(endpoint, None, templateName="no-such-template"))
    assert writes(creds) == [("POST", "/identity/api/tokens")]


def test_catalog_service_create_rename_delete(endpoint: dict[str, Any], creds: Any) -> None:
    provider = CatalogServiceProvider()
    id_, outs = create(provider, service_inputs(endpoint))
    assert outs["adopted"] is False and outs["serviceId"] == id_
    news = checked(provider, service_inputs(endpoint, name="Machine Learning (GPU)"), outs)
    updated = outs_of(provider.update(id_, outs, news))
    assert updated["name"] == "Machine Learning (GPU)"
    assert (vra_api(endpoint).get(f"{SVC}/{id_}") or {})["name"] == "Machine Learning (GPU)"
    assert outs_of(provider.read(id_, updated)) == updated
    doc = vra_api(endpoint).get(f"{SVC}/{id_}") or {}
    by_hand = mark("changed by hand", owner("service"))
    vra_api(endpoint).put(f"{SVC}/{id_}", {**doc, "description": by_hand})
    assert outs_of(provider.read(id_, updated))["description"] == "changed by hand"
    provider.delete(id_, updated)
    assert creds.state()["services"]["count"] == 0
    assert provider.read(id_, updated).id == ""
    with pytest.raises(RuntimeError, match="pulumi refresh"):
        provider.update(id_, updated, news)


def test_catalog_service_records_its_owner_and_reads_back_the_users_text(
    endpoint: dict[str, Any], creds: Any
) -> None:
    provider = CatalogServiceProvider()
    id_, outs = create(provider, service_inputs(endpoint, owner="gpu-mlaas/dev"))
    stored = vra_api(endpoint).get(f"{SVC}/{id_}") or {}
    assert stored["description"] == "GPU VMs [managed-by:gpu-mlaas/dev]"
    read = provider.read(id_, outs)
    assert outs_of(read) == outs and outs_of(read)["description"] == "GPU VMs"
    news = checked(provider, service_inputs(endpoint, owner="gpu-mlaas/dev"), read.inputs)
    assert provider.diff(id_, outs_of(read), news).changes is False


def test_catalog_service_whose_create_answer_was_lost_is_ours_on_the_next_run(
    endpoint: dict[str, Any], creds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VRA_TIMEOUT", "0.5")
    creds.inject(method="POST", pathPrefix=SVC, count=1, latencyMs=1500)
    inputs = service_inputs(endpoint, owner="gpu-mlaas/dev")
    with pytest.raises(VraError, match=f"Machine Learning.*pulumi up.*\n  vRA POST {SVC}: no"):
        create(CatalogServiceProvider(), inputs)
    # vRA stores it after the client gave up.
    wait_until(lambda: creds.state()["services"]["count"], "the service stored by the slow POST")
    id_, outs = create(CatalogServiceProvider(), inputs)  # the next `pulumi up`
    assert outs["adopted"] is False
    CatalogServiceProvider().delete(id_, outs)
    assert creds.state()["services"]["count"] == 0  # no orphan


def test_two_stacks_share_a_service_and_only_its_creator_deletes_it(
    endpoint: dict[str, Any], creds: Any
) -> None:
    provider = CatalogServiceProvider()
    a_id, a_outs = create(provider, service_inputs(endpoint, owner="gpu-mlaas/a"))
    b_id, b_outs = create(
        provider, service_inputs(endpoint, owner="gpu-mlaas/b", description="B's words")
    )
    assert b_id == a_id and b_outs["adopted"] is True and a_outs["adopted"] is False
    stored = vra_api(endpoint).get(f"{SVC}/{a_id}") or {}
    assert stored["description"] == "GPU VMs [managed-by:gpu-mlaas/a]"  # B never writes it
    provider.delete(b_id, b_outs)
    assert creds.state()["services"]["ids"] == [a_id]
    # State of A lost: A's next run finds its own marker, so the service is still A's.
    again_id, again = create(provider, service_inputs(endpoint, owner="gpu-mlaas/a"))
    assert again_id == a_id and again["adopted"] is False
    provider.delete(again_id, again)
    assert creds.state()["services"]["count"] == 0


def test_catalog_service_that_existed_before_is_adopted_and_kept(
    endpoint: dict[str, Any], creds: Any
) -> None:
    original_id, _ = create(CatalogServiceProvider(), service_inputs(endpoint, owner=None))
    for who in (None, "gpu-mlaas/dev"):  # no marker in vRA: never ours, whoever asks
        inputs = service_inputs(endpoint, owner=who)
        adopted_id, outs = create(CatalogServiceProvider(), inputs)
        assert adopted_id == original_id and outs["adopted"] is True
        CatalogServiceProvider().delete(adopted_id, outs)
        assert creds.state()["services"]["ids"] == [original_id]
    assert (vra_api(endpoint).get(f"{SVC}/{original_id}") or {})["description"] == "GPU VMs"


def test_catalog_item_is_placed_read_and_released(endpoint: dict[str, Any], creds: Any) -> None:
    blueprint_id, blueprint_outs = create(BlueprintProvider(), blueprint_inputs(endpoint, None))
    service_id, _ = create(CatalogServiceProvider(), service_inputs(endpoint))
    provider = CatalogItemProvider()
    id_, outs = create(provider, item_inputs(endpoint, blueprint_id, service_id))
    assert outs["catalogItemId"] == id_ and outs["name"] == "ML TensorFlow GPU"
    item = vra_api(endpoint).get(f"{ITEMS}/{id_}")
    assert item is not None and item["serviceRef"]["id"] == service_id
    assert outs_of(provider.read(id_, outs)) == outs

    # Taken out of its service by hand: read shows it, update puts it back.
    vra_api(endpoint).put(f"{ITEMS}/{id_}", {**item, "serviceRef": None})
    drifted = provider.read(id_, outs)
    assert "serviceId" not in outs_of(drifted)
    news = checked(provider, item_inputs(endpoint, blueprint_id, service_id), drifted.inputs)
    assert provider.diff(id_, outs_of(drifted), news).changes is True
    provider.update(id_, outs_of(drifted), news)
    assert (vra_api(endpoint).get(f"{ITEMS}/{id_}") or {})["serviceRef"]["id"] == service_id

    # Delete sends nothing: the item goes with its blueprint, deleted next in a destroy.
    creds.clear_requests()
    provider.delete(id_, outs)
    assert creds.requests() == []
    BlueprintProvider().delete(blueprint_id, blueprint_outs)
    assert creds.state()["catalogItems"]["count"] == 0
    assert vra_api(endpoint).get(f"{ITEMS}/{id_}") is None
    provider.delete(id_, outs)  # and again once it is gone: still a success
    assert provider.read(id_, outs).id == ""


def test_catalog_item_into_an_unknown_service_fails_naming_the_input(
    endpoint: dict[str, Any], creds: Any
) -> None:
    blueprint_id, _ = create(BlueprintProvider(), blueprint_inputs(endpoint, None))
    with pytest.raises(VraError, match=r"HTTP 400.*'no-such-service'.*input 'serviceId'"):
        create(CatalogItemProvider(), item_inputs(endpoint, blueprint_id, "no-such-service"))
    assert [item["serviceRef"] for item in vra_api(endpoint).iter_list(ITEMS)] == [None]


def test_catalog_item_wait_has_a_deadline(endpoint: dict[str, Any], creds: Any) -> None:
    service_id, _ = create(CatalogServiceProvider(), service_inputs(endpoint))
    news = {**item_inputs(endpoint, "NeverPublished", service_id), "timeoutSeconds": 0.5}
    with pytest.raises(VraError, match="vsphere.local!::!NeverPublished.*timeoutSeconds"):
        create(CatalogItemProvider(), news)


def test_entitlement_life_cycle(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()
    provider, id_, outs = chain.created["entitlement"]
    assert outs["entitlementId"] == id_
    assert outs["businessGroupId"] == creds.business_group_id
    doc = vra_api(endpoint).get(f"{ENT}/{id_}")
    assert doc is not None
    kinds = {p["ref"]: p["type"] for p in doc["principals"]}
    assert kinds == {GROUP: "GROUP", "dataadmin@vsphere.local": "USER"}
    assert outs_of(provider.read(id_, outs)) == outs

    news = checked(provider, entitlement_inputs(endpoint, [], principals=[GROUP]), outs)
    updated = outs_of(provider.update(id_, outs, news))
    assert updated["principals"] == [GROUP] and updated["catalogItemIds"] == []
    doc = vra_api(endpoint).get(f"{ENT}/{id_}") or {}
    assert [p["ref"] for p in doc["principals"]] == [GROUP]
    assert doc["entitledCatalogItems"] == []

    # Someone adds a principal in the UI: read reports it, the next diff sees it.
    api = vra_api(endpoint)
    extra = {
        "tenantName": creds.tenant,
        "ref": "dataadmin@vsphere.local",
        "type": "USER",
        "value": "Data Admin",
    }
    api.put(f"{ENT}/{id_}", {**doc, "principals": [*doc["principals"], extra]})
    drifted = provider.read(id_, updated)
    assert outs_of(drifted)["principals"] == ["dataadmin@vsphere.local", GROUP]
    assert provider.diff(id_, outs_of(drifted), news).changes is True

    # Ended (vRA 7 has no DELETE for entitlements): read reports it gone.
    provider.delete(id_, updated)
    ended = api.get(f"{ENT}/{id_}") or {}
    assert (ended["status"], ended["entitledCatalogItems"]) == ("INACTIVE", [])
    assert provider.read(id_, updated).id == ""
    provider.delete(id_, updated)  # already ended: nothing more to do
    chain.created.pop("entitlement")
    chain.down()
    assert object_counts(creds) == NOTHING


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"principals": ["nobody@vsphere.local"]}, "'nobody@vsphere.local'.*principals"),
        ({"businessGroup": "No Such Group"}, "'No Such Group'.*businessGroup"),
    ],
)
def test_entitlement_bad_references_fail_before_any_write(
    endpoint: dict[str, Any], creds: Any, over: dict[str, Any], message: str
) -> None:
    with pytest.raises(VraError, match=message):
        create(EntitlementProvider(), entitlement_inputs(endpoint, [], **over))
    assert creds.state()["entitlements"]["count"] == 0
    assert writes(creds) == [("POST", "/identity/api/tokens")]


def test_state_from_before_owner_markers_is_updated_and_marked(
    endpoint: dict[str, Any], creds: Any
) -> None:
    """A component made before markers existed (no `owner` in its state, none in vRA) is still
    this resource's: its state proves it. The next update writes the marker."""
    provider = SoftwareComponentProvider()
    id_, outs = create(provider, software_inputs(endpoint, owner=None, componentId="Old"))
    assert "owner" not in outs
    news = checked(provider, software_inputs(endpoint, componentId="Old"), outs)
    updated = outs_of(provider.update(id_, outs, news))
    assert updated["owner"] == owner("software")
    stored = vra_api(endpoint).get(f"{SC}/{id_}") or {}
    assert stored["description"].endswith(f"[managed-by:{owner('software')}]")
    # From now on the marker decides: another owner is refused.
    other = checked(provider, software_inputs(endpoint, componentId="Old", owner="x/y/z"), outs)
    with pytest.raises(NotOwnedError):
        provider.update(id_, updated, other)
