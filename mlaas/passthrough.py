"""What a VM needs to power on with whole GPUs through DirectPath I/O (passthrough), as pure
functions: the 64-bit MMIO size for N GPUs, EFI, full memory reservation, the hardware version
of Dynamic DirectPath I/O. Facts and sources: docs/vsphere-vgpu.md, "DirectPath I/O pools"."""

from __future__ import annotations

from dataclasses import dataclass

# PCI vendor id of NVIDIA: the default of a passthrough pool's GPUs.
NVIDIA_VENDOR_ID = 0x10DE
# Dynamic DirectPath I/O (devices named by vendor/device id, vSphere 7.0+) needs vmx-17.
MIN_HARDWARE_VERSION_DYNAMIC = 17
# vSphere connects at most 16 PCI passthrough devices to one VM.
MAX_DEVICES_PER_VM = 16


def _power_of_two_above(value: int) -> int:
    """The smallest power of two strictly greater than `value` (32 -> 64, 48 -> 64)."""
    return 1 << value.bit_length()


def mmio_size_gb(gpus: int, gpu_memory_gb: int) -> int:
    """`pciPassthru.64bitMMIOSizeGB` for `gpus` passthrough GPUs of `gpu_memory_gb` each, by
    VMware's published rule: the GPUs' memory added up (N x S), rounded up to the next power of
    two (two 16 GB GPUs: 32 -> 64 GB; three: 48 -> 64 GB; one 80 GB GPU: 128 GB)."""
    if gpus < 1 or gpu_memory_gb < 1:
        raise ValueError(f"need at least one GPU of at least 1 GB, not {gpus} x {gpu_memory_gb} GB")
    return _power_of_two_above(gpus * gpu_memory_gb)


@dataclass(frozen=True)
class PassthroughVm:
    """What a VM with `gpus` passthrough GPUs of `gpu_memory_gb` each needs before power-on."""

    gpus: int
    gpu_memory_gb: int

    @property
    def mmio_size_gb(self) -> int:
        return mmio_size_gb(self.gpus, self.gpu_memory_gb)

    def extra_config(self) -> dict[str, str]:
        """The VM advanced settings (extraConfig) the GPUs ask for."""
        return {
            "pciPassthru.use64bitMMIO": "TRUE",
            "pciPassthru.64bitMMIOSizeGB": str(self.mmio_size_gb),
        }

    # Every passthrough VM boots with EFI (large BARs are mapped above 4 GB only under EFI) and
    # reserves all of its memory (vSphere reserves it when a PCI device is added).
    firmware = "efi"
    memory_reservation_locked_to_max = True
    min_hardware_version = MIN_HARDWARE_VERSION_DYNAMIC
