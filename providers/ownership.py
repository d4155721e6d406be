"""Who made an object: the marker every object this project creates carries.

An owner is "<project>/<stack>/<logical name>" of the Pulumi resource that created the object
(the older form "<project>/<stack>" is still read, for catalog services made before). The
marker is appended to a free-text field the API keeps (a vRA description, a VM annotation, a
customization spec's description), so the object itself proves who made it:
"<text> [managed-by:<owner>]". Comparisons and read-backs strip it, so `diff` sees the user's
text only.

The one rule every resource applies before it writes (create/adopt, update, delete):

- Adopt: an object found by name (a create, or a POST whose answer was lost) is this resource's
  only when its marker is this resource's owner, or the older "<project>/<stack>" form of it
  (`adoptable`). No marker, or anyone else's, is `NotOwnedError`; a resource with no owner at
  all adopts only an unmarked object. A shared object (a catalog service, an Aria project) that
  is not provably this resource's is used as it is, never written (`shared_is_ours`).
- Update and delete: the object this resource's state names by id is still ours when its marker
  is one of this stack's (the logical name in it may have changed: an alias, a rename), never
  another stack's and never none (`changeable`).
- State from before owner markers (no `owner` in the state; the one decision for it): the
  object is ours when it carries no marker at all, since the id in our state is the proof; the
  next update writes the marker, and from then on the marker decides. An object that meanwhile
  carries someone's marker is not ours.

What a resource does with a "no": a create and an update raise `NotOwnedError`; a delete
raises it too (vRA, Aria: destroy stops, naming the object), except where the provider leaves
the object in place with a warning and lets it drop out of state (vSphere templates and specs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_OPEN, _CLOSE = "[managed-by:", "]"
_PART = r"[A-Za-z0-9_.-]{1,100}"
# project/stack, optionally /logical-name (Pulumi names may hold more characters; see owner_of).
OWNER = re.compile(rf"^{_PART}/{_PART}(/[^\]\s][^\]]{{0,199}})?$")


class NotOwnedError(RuntimeError):
    """An object exists under the name this resource wants, but it is not this resource's."""

    def __init__(self, kind: str, name: str, found: str | None, wanted: str) -> None:
        whose = f"it belongs to {found}" if found else "it carries no gpu-mlaas owner marker"
        super().__init__(
            f"{kind} {name!r} already exists and {whose}, not to {wanted}; "
            "rename this resource, remove the other object, or adopt it on purpose with "
            "Pulumi's `import` resource option (README, Ownership)"
        )
        self.kind, self.name, self.found, self.wanted = kind, name, found, wanted


def owner_of(project: str, stack: str, logical_name: str) -> str:
    """The owner string of one resource; whitespace and ']' cannot appear in a marker."""
    safe = re.sub(r"[\]\s]+", "_", logical_name)[:200]
    return f"{project}/{stack}/{safe}"


def mark(text: str, owner: str | None) -> str:
    """The stored text: the user's `text` first, then the marker of `owner` (if any)."""
    if not owner:
        return text
    marker = f"{_OPEN}{owner}{_CLOSE}"
    return f"{text} {marker}" if text else marker


def split(stored: str | None) -> tuple[str, str | None]:
    """(user's text, owner) of a stored text; owner None when it carries no marker."""
    stored = stored or ""
    start = stored.rfind(_OPEN)
    if start < 0 or not stored.endswith(_CLOSE):
        return stored, None
    owner = stored[start + len(_OPEN) : -len(_CLOSE)]
    text = stored[:start]
    if not OWNER.match(owner) or (text and not text.endswith(" ")):
        return stored, None  # not a marker this project wrote
    return text[:-1] if text else "", owner


def stack_of(owner: str | None) -> str | None:
    """"<project>/<stack>" of an owner (the part two resources of one stack share)."""
    if not owner:
        return None
    return "/".join(owner.split("/", 2)[:2])


def adoptable(found: str | None, wanted: str | None) -> bool:
    """An object found by name carrying owner `found` may become the resource `wanted`'s. A
    resource without an owner (never declared by the program: state from before markers,
    direct provider use) adopts only an object that carries no marker either."""
    if not wanted:
        return found is None
    return found in (wanted, stack_of(wanted))


def shared_is_ours(found: str | None, wanted: str | None) -> bool:
    """A shared object found by its display name, which other stacks and people use too (a vRA
    catalog service, an Aria project): the resource `wanted` writes and retires it only when
    its marker proves it this resource's; otherwise it only uses it, as it is. A resource
    without an owner proves nothing, so it never writes one."""
    return bool(wanted) and adoptable(found, wanted)


def changeable(found: str | None, wanted: str | None, *, state_marked: bool) -> bool:
    """The object in this resource's state, carrying owner `found`, may be updated or deleted
    by the resource `wanted`; `state_marked`: the state has an `owner` (it is not from before
    markers)."""
    if found is None:
        return not state_marked
    return bool(wanted) and stack_of(found) == stack_of(wanted)


def state_marked(state: Mapping[str, Any]) -> bool:
    """True when a resource's state (its olds, or the props of a delete) has an owner: it is not
    from before markers."""
    return bool(state.get("owner"))


def require(
    kind: str, name: str, found: str | None, wanted: str | None, *,
    state_marked: bool | None = None,
) -> None:
    """`NotOwnedError` unless the rule lets the resource `wanted` write the object `name`
    carrying owner `found`. `state_marked` None: the object was found by name, to be adopted
    (`adoptable`); else it is the one in this resource's state, to be updated or deleted, and
    says whether that state has an `owner` (`changeable`)."""
    ours = (
        adoptable(found, wanted)
        if state_marked is None
        else changeable(found, wanted, state_marked=state_marked)
    )
    if not ours:
        raise NotOwnedError(kind, name, found, wanted or "this resource")
