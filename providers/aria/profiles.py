"""Aria image and flavor profiles (`/iaas/api/image-profiles`, `/iaas/api/flavor-profiles`;
terraform-provider-vra `vra_image_profile`, `vra_flavor_profile`).

An image profile maps a name the cloud template uses (`image:`) to the pool's vGPU template as
a fabric image of the vSphere region; a flavor profile maps one (`flavor:`) to the sizing plan's
CPU count and memory. One profile per offering, each with one mapping.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pydantic import Field

from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.aria.client import AriaClient
from providers.base import NonEmpty, SchemaResource

REGIONS = "/iaas/api/regions"


class ProfileInputs(AriaInputs):
    name: NonEmpty
    description: str = ""
    region: NonEmpty | None = None  # region name or externalRegionId; absent: the only one
    mappingName: NonEmpty


class ImageProfileInputs(ProfileInputs):
    imageName: NonEmpty


class FlavorProfileInputs(ProfileInputs):
    cpuCount: int = Field(gt=0)
    memoryMb: int = Field(gt=0)
    pool: NonEmpty | None = None  # the GPU pool it sizes (read by the policy pack only)


def region_id(client: AriaClient, wanted: str | None) -> str:
    """The id of the region named `wanted` (name or externalRegionId), or of the only one."""
    regions = list(client.iter_list(REGIONS))
    if wanted is None:
        if len(regions) != 1:
            names = ", ".join(sorted(str(r.get("name")) for r in regions)) or "none"
            raise ValueError(
                f"Aria has {len(regions)} regions ({names}); name one with "
                "'gpu-mlaas:aria.region'"
            )
        return str(regions[0]["id"])
    for region in regions:
        if wanted in (region.get("name"), region.get("externalRegionId")):
            return str(region["id"])
    raise ValueError(f"Aria has no region {wanted!r} ('gpu-mlaas:aria.region')")


class _ProfileProvider(OwnedObjectProvider):
    # "image" or "flavor": Aria names the collection `<profile>-profiles`, the request's mapping
    # `<profile>Mapping` and the answer's `<profile>Mappings` (docs/aria8-api.md).
    profile: ClassVar[str]
    # The one mapping's fields: input key -> Aria's key.
    mapping_fields: ClassVar[dict[str, str]]
    replace_keys = ("region",)
    output_keys = ("profileId",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.collection = f"/iaas/api/{cls.profile}-profiles"

    def mapping(self, spec: Any) -> dict[str, Any]:
        return {wire: getattr(spec, key) for key, wire in self.mapping_fields.items()}

    def observed_mapping(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {key: stored.get(wire) for key, wire in self.mapping_fields.items()}

    def _stored(self, doc: dict[str, Any]) -> dict[str, Any]:
        mapping: dict[str, Any] = (doc.get(f"{self.profile}Mappings") or {}).get("mapping") or {}
        return mapping

    def body(self, spec: Any) -> dict[str, Any]:
        mapping = {spec.mappingName: self.mapping(spec)}
        return {**super().body(spec), f"{self.profile}Mapping": mapping}

    def post(self, client: AriaClient, spec: Any, reread: Any) -> dict[str, Any]:
        body = {**self.body(spec), "regionId": region_id(client, spec.region)}
        return client.create(self.collection, body, reread)

    def same(self, spec: Any, doc: dict[str, Any]) -> bool:
        stored = self._stored(doc)
        return (
            super().same(spec, doc)
            and list(stored) == [spec.mappingName]
            and self.observed_mapping(stored[spec.mappingName])
            == {key: getattr(spec, key) for key in self.mapping_fields}
        )

    def observed(self, doc: dict[str, Any]) -> dict[str, Any]:
        stored = self._stored(doc)
        seen = super().observed(doc)
        if len(stored) == 1:
            key, value = next(iter(stored.items()))
            seen.update(mappingName=key, **self.observed_mapping(value))
        else:
            seen["mappingName"] = None  # changed outside Pulumi: the next update rewrites it
        return seen


class ImageProfileProvider(_ProfileProvider):
    inputs_model = ImageProfileInputs
    kind, label, profile = "aria:ImageProfile", "Aria image profile", "image"
    mapping_fields = {"imageName": "name"}


class FlavorProfileProvider(_ProfileProvider):
    inputs_model = FlavorProfileInputs
    kind, label, profile = "aria:FlavorProfile", "Aria flavor profile", "flavor"
    mapping_fields = {"cpuCount": "cpuCount", "memoryMb": "memoryInMB"}


class ImageProfile(SchemaResource, module="aria", name="ImageProfile"):
    provider_class = ImageProfileProvider

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], mapping_name: pulumi.Input[str],
                 image_name: pulumi.Input[str], region: pulumi.Input[str] | None = None,
                 description: pulumi.Input[str] = "", owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)


class FlavorProfile(SchemaResource, module="aria", name="FlavorProfile"):
    provider_class = FlavorProfileProvider

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], mapping_name: pulumi.Input[str], cpu_count: int,
                 memory_mb: int, pool: str | None = None, region: pulumi.Input[str] | None = None,
                 description: pulumi.Input[str] = "", owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
