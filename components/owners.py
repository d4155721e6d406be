"""The owner marker of one of this stack's resources (providers/ownership.py): every component
passes it as the `owner` input of what it creates."""

from __future__ import annotations

import pulumi

from providers import ownership


def owner_of(logical_name: str) -> str:
    """`[managed-by:<project>/<stack>/<logical_name>]`'s owner string for this stack."""
    return ownership.owner_of(pulumi.get_project(), pulumi.get_stack(), logical_name)
