"""Typed reads of the results pulumi.dynamic providers return.

pulumi.dynamic types `outs` (CreateResult, ReadResult, UpdateResult) and `replaces` (DiffResult)
as Optional, because a provider may leave them out. The providers under test always fill them,
so a test reads them here and fails at the read, with the result named, when one is missing."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult


def outs_of(result: CreateResult | ReadResult | UpdateResult) -> dict[str, Any]:
    assert result.outs is not None, f"{type(result).__name__} carries no outs"
    return result.outs


def replaces_of(diff: DiffResult) -> list[str]:
    assert diff.replaces is not None, "DiffResult carries no replaces"
    return diff.replaces
