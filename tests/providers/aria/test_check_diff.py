"""check and diff of the Aria providers: no calls, key paths in failures, replacements."""

from __future__ import annotations

from typing import Any

import dill
from pulumi.dynamic import ResourceProvider

from providers.aria.cloud_template import CloudTemplateProvider
from providers.aria.profiles import FlavorProfileProvider
from providers.aria.sharing_policy import SharingPolicyProvider, definition
from providers.aria.template_version import TemplateVersionProvider
from providers.unknowns import UNKNOWN

ENDPOINT = {"url": "https://aria.test", "insecure": False}


def _checked(provider: ResourceProvider, **inputs: Any) -> dict[str, Any]:
    result = provider.check({}, {"endpoint": ENDPOINT, **inputs})
    assert not result.failures, result.failures
    return dict(result.inputs)


def test_bad_inputs_fail_naming_the_key() -> None:
    result = FlavorProfileProvider().check({}, {"endpoint": ENDPOINT, "name": "f",
                                                "mappingName": "m", "cpuCount": 0,
                                                "memoryMb": 1024})
    assert [f.property for f in result.failures] == ["cpuCount"]
    assert "aria:FlavorProfile" in result.failures[0].reason


def test_unknown_values_during_preview_are_not_failures() -> None:
    result = CloudTemplateProvider().check({}, {"endpoint": ENDPOINT, "name": "t",
                                                "projectId": UNKNOWN, "content": UNKNOWN})
    assert result.failures == []


def test_diff_replaces_on_a_new_aria_or_project_and_updates_otherwise() -> None:
    provider = CloudTemplateProvider()
    olds = _checked(provider, name="t", projectId="p", content="a")
    same = provider.diff("id", olds, dict(olds))
    assert not same.changes
    content = provider.diff("id", olds, {**olds, "content": "b"})
    assert content.changes and not content.replaces
    moved = provider.diff("id", olds, {**olds, "endpoint": {"url": "https://other.test"}})
    assert moved.replaces == ["endpoint"]
    trust = provider.diff("id", olds, {**olds, "endpoint": {**ENDPOINT, "insecure": True}})
    assert trust.changes and not trust.replaces
    project = provider.diff("id", olds, {**olds, "projectId": "q"})
    assert project.replaces == ["projectId"]


def test_a_version_unreleased_outside_pulumi_is_released_again() -> None:
    provider = TemplateVersionProvider()
    olds = {**_checked(provider, blueprintId="b", version="v-1"), "status": "VERSIONED"}
    assert provider.diff("b/v-1", olds, dict(olds)).changes


def test_principals_map_to_aria_types() -> None:
    spec = SharingPolicyProvider().parse(_checked(
        SharingPolicyProvider(), name="p", projectId="x", catalogItemIds=["i"],
        principals=["group:ml@lab", "user:ann", "bob"]))
    (entry,) = definition(spec)["entitledUsers"]
    assert entry["principals"] == [{"type": "GROUP", "referenceId": "ml@lab"},
                                   {"type": "USER", "referenceId": "ann"},
                                   {"type": "USER", "referenceId": "bob"}]


def test_providers_pickle_without_settings_or_clients() -> None:
    blob = dill.dumps(CloudTemplateProvider())
    assert b"password" not in blob and b"Session" not in blob
