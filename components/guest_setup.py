"""What a new GPU VM runs at first boot, for both catalog backends: the guest steps (licensing,
then the container install; providers/guest_scripts.py) and the plain settings they read."""

from __future__ import annotations

from mlaas.readiness import GuestLicence
from providers import guest_scripts

IMAGE_PROPERTY = "image"
TOKEN_PROPERTY = "nvidia_client_config_token"  # a secret: a secured vRA property, never plain


def licence_properties(licence: GuestLicence) -> dict[str, str]:
    """The plain settings configure-licensing.sh reads (the token is not one of them)."""
    properties = {"nvidia_feature_type": str(licence.feature_type),
                  "nvidia_licensed_product": licence.product}
    if licence.server_address is not None:
        properties |= {"nvidia_license_server": licence.server_address,
                       "nvidia_license_port": str(licence.server_port)}
    return properties


def guest_steps(image: str | None, licence: GuestLicence | None) -> tuple[str, ...]:
    """The guest scripts to run, in order: licensing first, so the install step's container
    smoke test already runs on a licensed vGPU."""
    steps = (guest_scripts.LICENSING,) if licence is not None else ()
    return steps + ((guest_scripts.INSTALL,) if image is not None else ())


def guest_properties(image: str | None, licence: GuestLicence | None) -> dict[str, str]:
    """Every plain setting the steps read: the image, the licence settings."""
    properties = licence_properties(licence) if licence is not None else {}
    return properties | ({IMAGE_PROPERTY: image} if image is not None else {})
