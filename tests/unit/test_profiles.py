"""The vGPU profile catalog: names, prefixes, and maxima taken from the tables."""

from importlib import resources

import pytest
import yaml

from mlaas import profiles

# profile, max per GPU, frame buffer GB, MIG-backed
CATALOG_ROWS = """
grid_p100-4q     4   4  no    the white paper's profile: 16 GB / 4 GB
grid_p100-2q     8   2  no
grid_t4-8c       2   8  no
grid_v100d-32q   1  32  no
grid_a2-16q      1  16  no
grid_a10-3q      8   3  no
grid_a16-1q     16   1  no
grid_a30-2-12c   2  12  yes
grid_a40-1q     32   1  no    capped at 32 per GPU, not 48
grid_l40s-2q    24   2  no
grid_a100-3-20c  2  20  yes
grid_a100-1-5c   7   5  yes
grid_a100d-4c   20   4  no
grid_h100-7-80c  1  80  yes
grid_h100l-4c   23   4  no
grid_l4-6q       4   6  no
grid_l40-48c     1  48  no
grid_v100-16c    1  16  no
"""
ROWS = [line.split()[:4] for line in CATALOG_ROWS.strip().splitlines()]


@pytest.mark.parametrize(("name", "max_per_gpu", "framebuffer_gb", "mig"), ROWS)
def test_catalog_rows(name: str, max_per_gpu: str, framebuffer_gb: str, mig: str) -> None:
    profile = profiles.lookup(name)
    expected = (int(max_per_gpu), int(framebuffer_gb), mig == "yes")
    assert (profile.max_per_gpu, profile.framebuffer_gb, profile.mig) == expected


def test_every_required_gpu_family_is_present() -> None:
    required = {"t4", "p100", "v100", "v100d", "a2", "a10", "a16", "a30", "a40", "a100",
                "a100d", "h100", "h100l", "l4", "l40", "l40s"}
    assert required <= set(profiles.catalog())


def test_nvidia_prefix_and_case_name_the_same_profile() -> None:
    assert profiles.lookup("nvidia_A40-1Q") == profiles.lookup("grid_a40-1q")
    assert profiles.canonical_name("nvidia_l40s-48q") == "grid_l40s-48q"


def test_a16_board_counts_as_four_gpus_in_the_catalog_data() -> None:
    # gpusPerHost counts GPUs, not boards (README); the catalog data says why for the A16.
    text = resources.files("mlaas").joinpath("data/vgpu_profiles.yaml").read_text()
    assert yaml.safe_load(text)["gpus"]["a16"]["gpusPerBoard"] == 4


def test_maxima_never_exceed_32_per_gpu_or_the_frame_buffer() -> None:
    for gpu in profiles.catalog().values():
        for profile in gpu.profiles:
            assert 1 <= profile.max_per_gpu <= 32, profile
            if not profile.mig:
                assert profile.max_per_gpu * profile.framebuffer_gb <= gpu.framebuffer_gb, profile


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("p100-4q", "not a vGPU profile name"),
        ("grid_p100", "not a vGPU profile name"),
        ("grid_z9-1q", "unknown GPU 'z9'"),
        ("grid_p100-3q", "not a Tesla P100 PCIe 16GB profile"),
        ("grid_a100-1q", "not a NVIDIA A100 PCIe 40GB profile"),
    ],
)
def test_bad_names_are_explained(name: str, fragment: str) -> None:
    with pytest.raises(profiles.ProfileError, match=fragment):
        profiles.lookup(name)


def test_unknown_gpu_type_lists_known_keys() -> None:
    with pytest.raises(profiles.ProfileError, match="known: a10"):
        profiles.gpu_type("k80")
