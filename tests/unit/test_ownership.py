"""The one ownership rule (providers/ownership.py) every resource applies before it writes."""

from __future__ import annotations

import pytest

from providers import ownership
from providers.ownership import NotOwnedError, adoptable, changeable, require

MINE = "gpu-mlaas/dev/software"
RENAMED = "gpu-mlaas/dev/software-v2"  # same stack, another logical name (an alias)
PROD = "gpu-mlaas/prod/software"


def test_adopting_needs_this_resources_own_marker() -> None:
    assert adoptable(MINE, MINE)
    assert adoptable("gpu-mlaas/dev", MINE)  # the older "<project>/<stack>" form
    assert not adoptable(RENAMED, MINE)  # another resource of the stack: not by name
    assert not adoptable(PROD, MINE)
    assert not adoptable(None, MINE)  # made by hand
    # A resource without an owner (state from before markers) adopts only an unmarked object.
    assert adoptable(None, None) and not adoptable(MINE, None)


def test_a_shared_object_is_written_only_when_its_marker_proves_it_ours() -> None:
    assert ownership.shared_is_ours(MINE, MINE)
    assert not ownership.shared_is_ours(None, MINE) and not ownership.shared_is_ours(PROD, MINE)
    assert not ownership.shared_is_ours(None, None)  # no owner: used, never written


def test_changing_the_object_in_state_needs_a_marker_of_this_stack() -> None:
    assert changeable(MINE, MINE, state_marked=True)
    assert changeable(RENAMED, MINE, state_marked=True)
    assert not changeable(PROD, MINE, state_marked=True)
    assert not changeable(None, MINE, state_marked=True)  # its marker was removed by hand


def test_state_from_before_markers_owns_only_an_unmarked_object() -> None:
    assert changeable(None, MINE, state_marked=False)  # the next update writes the marker
    assert changeable(None, None, state_marked=False)  # a delete of such state
    assert not changeable(PROD, MINE, state_marked=False)
    assert not changeable(PROD, None, state_marked=False)
    assert ownership.state_marked({"owner": MINE}) and not ownership.state_marked({})


def test_require_names_the_object_and_its_owner() -> None:
    require("Blueprint", "bp", MINE, MINE)
    require("Blueprint", "bp", RENAMED, MINE, state_marked=True)
    with pytest.raises(NotOwnedError, match=f"Blueprint 'bp' already exists and it belongs to "
                                            f"{PROD}, not to {MINE}"):
        require("Blueprint", "bp", PROD, MINE)
    with pytest.raises(NotOwnedError, match="carries no gpu-mlaas owner marker"):
        require("Blueprint", "bp", None, MINE, state_marked=True)
    with pytest.raises(NotOwnedError):
        require("Blueprint", "bp", RENAMED, MINE)  # by name: only its own marker
