"""Who made an object: the marker every object this project creates carries.

An owner is "<project>/<stack>/<logical name>" of the Pulumi resource that created the object
(the older form "<project>/<stack>" is still read, for catalog services made before). The
marker is appended to a free-text field the API keeps (a vRA description, a VM annotation, a
customization spec's description), so the object itself proves who made it:
"<text> [managed-by:<owner>]". Comparisons and read-backs strip it, so `diff` sees the user's
text only. A create that finds an existing object adopts it only when the marker is this
resource's own; delete and update touch only objects whose marker they can prove.
"""

from __future__ import annotations

import re

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
