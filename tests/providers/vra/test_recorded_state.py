"""State written by the vRA providers before the settings, client and ownership rework (commit
a5d1568, `Chain(endpoint).up()` against the lab, recorded in data/state_before_vocabulary.json)
refreshes with no diff: the same program's inputs diff as unchanged against it, before and after
a refresh. Only what vRA assigns (its ids) and the lab's URL are mapped to this run's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.providers.vra.chain import Chain, checked

RECORDED = json.loads((Path(__file__).parent / "data" / "state_before_vocabulary.json").read_text())


def _mapped(chain: Chain, url: str) -> dict[str, Any]:
    """The recorded state with the recorded lab URL and vRA-assigned ids replaced by this
    run's."""
    text = json.dumps(RECORDED["resources"]).replace(RECORDED["url"], url)
    for name, recorded in RECORDED["resources"].items():
        text = text.replace(recorded["id"], chain.id(name))
        for key, old in recorded["outs"].items():
            new = chain.outs(name).get(key)
            if key.endswith("Id") and isinstance(old, str) and isinstance(new, str) and old != new:
                text = text.replace(old, new)
    resources: dict[str, Any] = json.loads(text)
    return resources


def test_recorded_state_refreshes_without_a_diff(endpoint: dict[str, Any], creds: Any) -> None:
    chain = Chain(endpoint).up()  # the objects as the recorded run left them, made by this code
    try:
        recorded = _mapped(chain, endpoint["url"])
        assert set(recorded) == set(chain.created)
        for name, (provider, id_, outs) in chain.created.items():
            olds = recorded[name]["outs"]
            fields = provider.inputs_model.model_fields
            news = checked(provider, {k: v for k, v in outs.items() if k in fields}, olds)
            assert provider.diff(id_, olds, news).changes is False, name  # `up` without refresh
            read = provider.read(id_, olds)
            assert read.id == id_ and read.outs is not None, name
            assert provider.diff(id_, read.outs, news).changes is False, name  # refresh, then up
    finally:
        chain.down()
