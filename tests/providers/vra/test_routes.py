"""A whole provider lifecycle (create, no-change, update, refresh, destroy) calls only routes of
the vRA 7 references, as docs/vra7-routes.md lists them; and only the ones it marks as used."""

from __future__ import annotations

from typing import Any

from tests.providers.vra.chain import Chain, blueprint_inputs, checked, software_inputs
from tests.support.vra_routes import route_of


def test_lifecycle_uses_only_documented_vra7_routes(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()  # create
    for provider, id_, outs in chain.created.values():  # no-change: check and diff only
        program = {k: v for k, v in outs.items() if k in provider.inputs_model.model_fields}
        assert provider.diff(id_, outs, checked(provider, program, outs)).changes is False
    # update: one key of the software component and of the blueprint
    for name, news in (
        ("software", software_inputs(endpoint, properties={"image": "pytorch/pytorch:2"})),
        ("blueprint", blueprint_inputs(endpoint, chain.id("software"), cpu=4)),
    ):
        provider, id_, outs = chain.created[name]
        news = checked(provider, {**news, "owner": outs["owner"]}, outs)
        chain.created[name] = (provider, id_, provider.update(id_, outs, news).outs or {})
    for provider, id_, outs in chain.created.values():  # refresh
        assert provider.read(id_, outs).id == id_
    chain.down()  # destroy

    log = [(r["method"], r["path"]) for r in creds.requests()]
    assert log, "the lab logged nothing"
    unknown = sorted({call for call in log if route_of(*call) is None})
    assert unknown == [], "calls outside docs/vra7-routes.md"
    lab_only = sorted({call for call in log if not route_of(*call).used})  # type: ignore[union-attr]
    assert lab_only == [], "calls the route table does not mark as used by the providers"
    # Every paged list is ordered: vRA 7 can repeat or skip elements across unordered pages.
    paged = [r for r in creds.requests() if "page=" in (r["query"] or "")]
    assert paged and all("$orderby=" in r["query"] for r in paged)
    methods = {method for method, _ in log}
    assert "DELETE" in methods and "PUT" in methods  # the lifecycle really wrote and removed
