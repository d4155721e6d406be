"""The providers survive the trip into state: dill by reference, no secrets, no clients."""

from __future__ import annotations

import base64
from typing import Any

import dill
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from providers.vsphere import client
from providers.vsphere.host_graphics import HostGraphicsProvider
from providers.vsphere.vgpu_template import VgpuTemplateProvider
from tests.providers.vsphere.conftest import configure


@pytest.mark.parametrize("provider_class", [HostGraphicsProvider, VgpuTemplateProvider])
def test_configured_provider_round_trips_without_secrets(
    provider_class: type[ResourceProvider], lab: Any
) -> None:
    provider = configure(provider_class(), lab)
    client.run(lambda si: si.content.about.name)  # a live session exists while pickling

    blob = serialize_provider(provider)
    raw = base64.b64decode(blob)
    assert lab.password.encode() not in raw and lab.password not in blob
    assert lab.host_port.encode() not in raw  # settings stay in the process, not in state
    assert provider_class.__module__.encode() in raw  # stored by reference: module path

    restored = dill.loads(raw)
    assert type(restored) is provider_class
    assert vars(restored) == {}
    assert provider_class.serialize_as_secret_always is False
    # The restored provider works with the process's configured settings.
    assert restored.check({}, {}).failures
