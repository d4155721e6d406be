"""Names that become ids and names in vCenter and vRA: which are valid, and which would collide.

vRA derives an id from a display name by keeping letters and digits (`providers/vra/models.py`,
`derive_id`), so `ml-a` and `ml_a` become one id; vCenter compares inventory names without regard
to case. Two names collide when they agree on letters and digits, case ignored. Sources and the
length limits: docs/config-limits.md.
"""

from __future__ import annotations

import re

# An offering name is a catalog display name (spaces allowed); vRA ids and the names derived from
# it (`<name> container`, `<name> users`) must stay short.
OFFERING_NAME_MAX = 64
# Pool and template names become parts of vCenter VM names, Pulumi resource names and vRA
# custom properties: letters, digits, '-', '_' and '.', starting with a letter or digit
# (vCenter escapes '%', '/' and '\' in names; spaces would leak into resource names).
POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
POOL_NAME_MAX = 40
# A vCenter VM name holds at most 80 characters; a template is named
# `<template name>-<pool>-...`, and 30 are kept for the stack name and the version hash.
VM_NAME_MAX = 80
TEMPLATE_SUFFIX_RESERVE = 30
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def id_key(name: str) -> str:
    """What two names must not share: their letters and digits, case ignored."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def printable(name: str) -> str:
    if _CONTROL.search(name):
        raise ValueError("must not contain control characters (tabs, newlines, ...)")
    return name


def offering_name(name: str) -> str:
    """A valid offering name, or ValueError saying why not."""
    printable(name)
    if not id_key(name):
        raise ValueError(f"{name!r} has no letter or digit, so it cannot become a vRA id")
    if len(name) > OFFERING_NAME_MAX:
        raise ValueError(f"longer than {OFFERING_NAME_MAX} characters ({len(name)})")
    return name


def pool_name(name: str) -> str:
    """A valid pool (or template) name, or ValueError saying why not."""
    if not POOL_NAME.match(name):
        raise ValueError(
            f"{name!r}: use letters, digits, '-', '_' and '.', starting with a letter or digit "
            "(it becomes part of vCenter and Pulumi resource names)"
        )
    if len(name) > POOL_NAME_MAX:
        raise ValueError(f"longer than {POOL_NAME_MAX} characters ({len(name)})")
    return name


def template_name_budget(template: str, pool: str) -> str | None:
    """Why `<template>-<pool>-...` cannot be a vCenter VM name, or None when it fits."""
    used = len(template) + 1 + len(pool)
    if used + TEMPLATE_SUFFIX_RESERVE <= VM_NAME_MAX:
        return None
    return (
        f"template name {template!r} and pool {pool!r} take {used} of the {VM_NAME_MAX} "
        f"characters of a vCenter VM name; {TEMPLATE_SUFFIX_RESERVE} are needed for the stack "
        "and version suffix"
    )
