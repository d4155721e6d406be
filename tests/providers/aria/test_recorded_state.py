"""State written by the Aria providers before the settings, client and ownership rework (commit
a5d1568, `Chain(endpoint).deploy()` against the lab, recorded in
data/state_before_vocabulary.json) refreshes with no diff: the same inputs diff as unchanged
against it, before and after a refresh. Only what Aria assigns (its ids) and the lab's URL are
mapped to this run's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab.aria import AriaLab
from tests.providers.aria.chain import Chain, Created

RECORDED = json.loads((Path(__file__).parent / "data" / "state_before_vocabulary.json").read_text())
# Changed on purpose after the recording (issue 23): a machine gets a cloudConfig or a
# customization spec, never both, so the cloud template's content and its version differ.
CHANGED_BY_DESIGN = {"template", "version"}


def _mapped(made: dict[str, Created], url: str) -> dict[str, Any]:
    text = json.dumps(RECORDED["resources"]).replace(RECORDED["url"], url)
    for name, recorded in RECORDED["resources"].items():
        text = text.replace(recorded["id"], made[name].id)
        for key, old in recorded["outs"].items():
            new = made[name].props.get(key)
            if key.endswith("Id") and isinstance(old, str) and isinstance(new, str) and old != new:
                text = text.replace(old, new)
            if key.endswith("Ids") and isinstance(old, list) and isinstance(new, list):
                for was, now in zip(old, new, strict=False):
                    text = text.replace(str(was), str(now))
    resources: dict[str, Any] = json.loads(text)
    return resources


def test_recorded_state_refreshes_without_a_diff(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab
) -> None:
    chain = Chain(aria_endpoint)
    made = chain.deploy()  # the objects as the recorded run left them, made by this code
    try:
        recorded = _mapped(made, aria_endpoint["url"])
        assert set(recorded) == set(made)
        for name, entry in made.items():
            if name in CHANGED_BY_DESIGN:
                continue
            provider, olds = entry.provider, recorded[name]["outs"]
            fields = provider.inputs_model.model_fields
            checked = provider.check(olds, {k: v for k, v in entry.props.items() if k in fields})
            assert not checked.failures, (name, checked.failures)
            news = checked.inputs
            assert provider.diff(entry.id, olds, news).changes is False, name
            read = provider.read(entry.id, olds)
            assert read.id == entry.id and read.outs is not None, name
            assert provider.diff(entry.id, read.outs, news).changes is False, name
    finally:
        chain.destroy()
