"""The vGPU profile catalog: the type grammar, names and prefixes, and maxima from the tables."""

import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mlaas import profiles, sizing
from mlaas.config import ConfigError, parse_config

# profile, max per GPU (equal-size mode), frame buffer GiB, MIG-backed. Typed from the sources
# the catalog cites (NVIDIA/vgpu-device-manager's vGPU 20.0 config, its 2022 version for Pascal,
# NVIDIA AI Enterprise's Hopper tables), not read from the catalog file.
CATALOG_ROWS = """
grid_p100-4q       4   4  no    the white paper's profile: 16 GB / 4 GB
grid_p100-2q       8   2  no
grid_p100-16c      1  16  no
grid_p100c-6q      2   6  no    12 GB board
grid_p100x-8c      2   8  no
grid_p40-3q        8   3  no
grid_p40-24c       1  24  no
grid_p4-4c         2   4  no
grid_p6-1q        16   1  no
grid_v100-16c      1  16  no
grid_v100x-2q      8   2  no
grid_v100l-4c      4   4  no
grid_v100d-32q     1  32  no
grid_v100dx-8c     4   8  no
grid_v100s-1q     32   1  no
grid_t4-8c         2   8  no
grid_t4-1q        16   1  no
grid_rtx6000p-6c   4   6  no
grid_rtx8000p-4c   8   4  no    an exception: 8, not 12
grid_rtx8000p-4q  12   4  no
grid_a2-16q        1  16  no
grid_a2-4c         4   4  no
grid_a10-3q        8   3  no
grid_a10-24c       1  24  no
grid_a16-1q       16   1  no
grid_a16-8c        2   8  no
grid_a30-2-12c     2  12  yes
grid_a30-1-6c      4   6  yes
grid_a30-1-6cme    1   6  yes   media extensions: one per GPU
grid_a30-8c        3   8  no
grid_a40-1q       32   1  no    capped at 32 per GPU, not 48
grid_a40-6c        8   6  no
grid_a100-3-20c    2  20  yes
grid_a100-1-5c     7   5  yes
grid_a100-1-10c    4  10  yes
grid_a100-5c       8   5  no
grid_a100x-2-10c   3  10  yes
grid_a100x-40c     1  40  no
grid_a100d-4c     20   4  no
grid_a100d-16c     5  16  no
grid_a100d-1-10cme 1  10  yes
grid_a100dx-7-80c  1  80  yes
grid_a100dx-10c    8  10  no
grid_a800-1-5c     7   5  yes
grid_a800d-3-40c   2  40  yes
grid_a800dx-80c    1  80  no
grid_h100-7-80c    1  80  yes
grid_h100-5c      16   5  no
grid_h100-16c      5  16  no    NVIDIA AI Enterprise 7 prints 6; the vGPU Manager's data says 5
grid_h100xm-1-20c  4  20  yes
grid_h100xm-8c    10   8  no
grid_h100xs-1-8c   7   8  yes
grid_h100xs-16c    4  16  no
grid_h100xl-3-47c  2  47  yes
grid_h100xl-6c    15   6  no
grid_h100l-4c     23   4  no
grid_h100l-1-12c   7  12  yes
grid_h100l-11c     8  11  no
grid_h200-4c      32   4  no    H200 NVL
grid_h200-7c      20   7  no
grid_h200-1-18c    7  18  yes
grid_h200-141c     1 141  no
grid_h200x-17c     8  17  no    H200 SXM5
grid_h200x-4-71c   1  71  yes
grid_h20-4c       24   4  no
grid_h20-1-12cme   1  12  yes
grid_h20-32c       3  32  no
grid_h20x-28c      5  28  no
grid_h20x-2-35c    3  35  yes
grid_h800-1-10c    7  10  yes
grid_h800xm-16c    5  16  no
grid_h800l-15c     6  15  no
grid_gh200-96c     1  96  no    one time-sliced type only
grid_gh200-1-24c   4  24  yes
grid_gh200l-1-18c  7  18  yes
grid_gh200l-3-72c  2  72  yes
grid_l2-12q        2  12  no
grid_l2-4c         6   4  no
grid_l4-6q         4   6  no
grid_l4-1q        24   1  no
grid_l20-2q       24   2  no
grid_l20-16c       3  16  no
grid_l40-48c       1  48  no
grid_l40-3q       16   3  no
grid_l40s-2q      24   2  no
grid_l40s-8c       6   8  no
grid_b200x-1-23c   7  23  yes
grid_b200x-2-45c   3  45  yes
grid_b200x-180c    1 180  no
grid_b200x-1-23cme 1  23  yes
grid_gb200-1-24c   7  24  yes
grid_gb200-3-95c   2  95  yes
grid_b300x-1-34c   7  34  yes
grid_b300x-4-135c  1 135  yes
grid_b300x-269c    1 269  no
grid_rtx_pro_6000_blackwell_dc-96q      1  96  no
grid_rtx_pro_6000_blackwell_dc-3q      32   3  no
grid_rtx_pro_6000_blackwell_dc-8c      12   8  no
grid_rtx_pro_6000_blackwell_dc-1-24q    4  24  yes  MIG-backed Q: 1 per 1g.24gb instance x 4
grid_rtx_pro_6000_blackwell_dc-1-2q    48   2  yes  12 per 1g.24gb instance x 4
grid_rtx_pro_6000_blackwell_dc-2-16q    6  16  yes  3 per 2g.48gb instance x 2
grid_rtx_pro_6000_blackwell_dc-4-32q    3  32  yes
grid_rtx_pro_6000_blackwell_dc-4-96qgfx 1  96  yes
grid_rtx_pro_6000_blackwell_dc-2-48c    2  48  yes
"""
ROWS = [line.split()[:4] for line in CATALOG_ROWS.strip().splitlines()]

# The GPUs issue 19 names, plus the older ones the paper's era used.
REQUIRED_GPUS = {
    "h100", "h100xm", "h100l", "h200", "h200x", "h20", "gh200", "b200x", "b300x",
    "rtx_pro_6000_blackwell_dc", "l40s", "l40", "l20", "l4", "l2", "a100", "a100x", "a100d",
    "a100dx", "a30", "a40", "a16", "a10", "a2", "p100", "v100", "v100d", "t4", "p40",
}
ARCHITECTURES = {"pascal", "volta", "turing", "ampere", "hopper", "ada", "blackwell"}


def _raw_catalog() -> dict:
    text = resources.files("mlaas").joinpath("data/vgpu_profiles.yaml").read_text()
    return yaml.safe_load(text)


@pytest.mark.parametrize(("name", "max_per_gpu", "framebuffer_gb", "mig"), ROWS)
def test_catalog_rows(name: str, max_per_gpu: str, framebuffer_gb: str, mig: str) -> None:
    profile = profiles.lookup(name)
    expected = (int(max_per_gpu), int(framebuffer_gb), mig == "yes")
    assert (profile.max_per_gpu, profile.framebuffer_gb, profile.mig) == expected
    assert profile.framebuffer_mb == int(framebuffer_gb) * 1024


def test_every_row_table_gpu_is_checked_and_every_required_gpu_is_present() -> None:
    keys = set(profiles.catalog())
    assert keys >= REQUIRED_GPUS
    assert {profiles.lookup(row[0]).gpu_type for row in ROWS} == keys


@pytest.mark.parametrize(
    ("key", "board", "pci_ids", "mig_instances"),
    [
        ("h100xm", "NVIDIA H100 SXM5 80GB", (0x2330, 0x2336), 7),
        ("h200", "NVIDIA H200 NVL (PCIe 141GB)", (0x233B,), 7),
        ("rtx_pro_6000_blackwell_dc", "NVIDIA RTX PRO 6000 Blackwell Server Edition", (0x2BB5,), 4),
        ("a30", "NVIDIA A30", (0x20B7, 0x20B9), 4),
        ("l40s", "NVIDIA L40S", (0x26B9,), 0),
        ("p100", "Tesla P100 PCIe 16GB", (0x15F8,), 0),
    ],
)
def test_gpu_facts(key: str, board: str, pci_ids: tuple[int, ...], mig_instances: int) -> None:
    gpu = profiles.gpu_type(key)
    assert (gpu.board, gpu.pci_device_ids, gpu.mig_instances) == (board, pci_ids, mig_instances)
    assert gpu.mig_capable == (mig_instances > 0)


def test_every_gpu_cites_a_source_and_says_what_it_is() -> None:
    raw = _raw_catalog()
    for key, gpu in profiles.catalog().items():
        assert gpu.source in raw["sources"], key
        assert gpu.architecture in ARCHITECTURES, key
        assert gpu.pci_device_ids, key
        assert gpu.device_name, key


def test_nvidia_prefix_and_case_name_the_same_profile() -> None:
    assert profiles.lookup("nvidia_A40-1Q") == profiles.lookup("grid_a40-1q")
    assert profiles.canonical_name("nvidia_l40s-48q") == "grid_l40s-48q"
    assert profiles.lookup("NVIDIA_RTX_PRO_6000_BLACKWELL_DC-4-96Q").gpu_type == (
        "rtx_pro_6000_blackwell_dc"
    )


def test_a16_board_counts_as_four_gpus_in_the_catalog_data() -> None:
    # gpusPerHost counts GPUs, not boards (README); the catalog data says why for the A16.
    assert _raw_catalog()["gpus"]["a16"]["gpusPerBoard"] == 4


def test_every_profile_fits_its_gpu() -> None:
    for gpu in profiles.catalog().values():
        assert gpu.framebuffer_gb == max(p.framebuffer_gb for p in gpu.profiles), gpu.key
        for profile in gpu.profiles:
            assert profile.max_per_gpu >= 1, profile
            # all vGPUs of one type together never exceed the GPU's frame buffer; MIG instance
            # names round their memory up (4 x 1g.24gb on the 94 GB H100 NVL), by under 5 %
            total = profile.max_per_gpu * profile.framebuffer_gb
            if profile.mig:
                assert total <= gpu.framebuffer_gb * 1.05, profile
            else:
                assert total <= gpu.framebuffer_gb, profile
                assert profile.max_per_gpu <= 32, profile  # time-sliced: at most 32 per GPU


def test_mig_types_only_on_mig_gpus_and_within_their_slices() -> None:
    for gpu in profiles.catalog().values():
        slices = [p.slices for p in gpu.profiles if p.mig]
        assert gpu.mig_instances == max(slices, default=0), gpu.key
        for profile in gpu.profiles:
            assert profile.mig == (profile.slices > 0), profile
            assert (profile.attribute != "") <= profile.mig, profile


def test_rtx_pro_4500_rows_of_the_shared_dc_prefix_are_left_out() -> None:
    # DC-1-16C, DC-2-8C and DC-2-32C exist only on the 32 GB RTX PRO 4500 (two slices).
    for type_name in ("1-16c", "2-8c", "2-32c", "1-16q", "2-8q", "2-32q"):
        with pytest.raises(profiles.ProfileError, match="NVIDIA publishes no such type"):
            profiles.lookup(f"nvidia_rtx_pro_6000_blackwell_dc-{type_name}")


# type, series, frame buffer MB, slices, attribute: every class NVIDIA's names use.
GRAMMAR = [
    ("4q", "Q", 4096, 0, ""),  # time-sliced virtual workstation
    ("8c", "C", 8192, 0, ""),  # time-sliced compute
    ("2b", "B", 2048, 0, ""),  # time-sliced virtual PC
    ("24a", "A", 24576, 0, ""),  # time-sliced virtual applications
    ("0q", "Q", 512, 0, ""),  # M60-0Q: 512 MB
    ("141c", "C", 141 * 1024, 0, ""),
    ("3-20c", "C", 20480, 3, ""),  # MIG-backed compute
    ("1-10cme", "C", 10240, 1, "me"),  # MIG 1g.10gb+me
    ("1-24cnome", "C", 24576, 1, "nome"),  # MIG 1g.24gb-me
    ("1-24cmeall", "C", 24576, 1, "meall"),  # MIG 1g.24gb+me.all
    ("1-23q", "Q", 23552, 1, ""),  # Blackwell MIG-backed workstation type
    ("4-96qgfx", "Q", 98304, 4, "gfx"),  # MIG 4g.96gb+gfx
    ("1-3b", "B", 3072, 1, ""),  # MIG-backed virtual PC
    ("2-48a", "A", 49152, 2, ""),  # MIG-backed virtual applications
    ("7-80C", "C", 81920, 7, ""),  # case-insensitive
]


@pytest.mark.parametrize(("text", "series", "mb", "slices", "attribute"), GRAMMAR)
def test_type_grammar(text: str, series: str, mb: int, slices: int, attribute: str) -> None:
    parsed = profiles.parse_type(text)
    assert (parsed.series, parsed.framebuffer_mb, parsed.slices, parsed.attribute) == (
        series, mb, slices, attribute
    )
    assert parsed.mig == (slices > 0)


@pytest.mark.parametrize(
    ("name", "gpu", "type_text"),
    [
        ("grid_p100-4q", "p100", "4q"),
        ("nvidia_a100-3-20c", "a100", "3-20c"),
        ("nvidia_rtx_pro_6000_blackwell_dc-1-24q", "rtx_pro_6000_blackwell_dc", "1-24q"),
        ("nvidia_rtx6000-ada-24q", "rtx6000-ada", "24q"),  # NVIDIA's RTX6000-Ada-24Q
        ("grid_m60-0q", "m60", "0q"),
    ],
)
def test_name_grammar_splits_gpu_and_type(name: str, gpu: str, type_text: str) -> None:
    assert profiles.parse_name(name) == (gpu, profiles.parse_type(type_text))


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("p100-4q", "does not start with grid_ or nvidia_"),
        ("grid_p100", "expected <prefix><gpu>-<type>"),
        ("grid_a100-3-20x", "unknown series 'x'"),
        ("grid_h100-1-10", "has no series letter"),
        ("grid_a100-04c", "leading zero"),
        ("grid_a30-0-6c", "1 to 9 compute slices"),
        ("grid_a100-4cme", "only MIG-backed types"),
        ("grid_a100-1-5cxx", "unknown attribute 'xx'"),
        ("grid_z9-1q", "unknown GPU 'z9'"),
        ("grid_p100-3q", "not a Tesla P100 PCIe 16GB profile: NVIDIA publishes no such type"),
        ("grid_a100-1q", "not a NVIDIA A100 PCIe 40GB profile"),
        ("grid_t4-1-4c", "Tesla T4 has no MIG mode"),
        ("grid_a100-8-40c", "has 7 MIG slices, not 8"),
    ],
)
def test_bad_names_are_explained(name: str, fragment: str) -> None:
    with pytest.raises(profiles.ProfileError, match=fragment):
        profiles.lookup(name)


def test_match_offered_refuses_what_the_grammar_refuses() -> None:
    assert profiles.match_offered("nvidia_a100-3-20c", ["grid_a100-3-20c"]) == "grid_a100-3-20c"
    assert profiles.match_offered("grid_a100-4cme", ["grid_a100-4cme"]) is None
    assert profiles.match_offered("a100-3-20c", ["a100-3-20c"]) is None


def test_unknown_gpu_type_lists_known_keys() -> None:
    with pytest.raises(profiles.ProfileError, match="known: a10"):
        profiles.gpu_type("k80")


def test_a_malformed_catalog_entry_is_refused() -> None:
    with pytest.raises(profiles.ProfileError, match="catalog entry grid_t4-1-4c: 1 MIG slices"):
        profiles._gpu_type(
            "t4",
            {"board": "Tesla T4", "framebufferGb": 16, "profiles": {"1-4c": 1}},
        )
    with pytest.raises(profiles.ProfileError, match="catalog entry t4-4x"):
        profiles._gpu_type("t4", {"board": "Tesla T4", "framebufferGb": 16, "profiles": {"4x": 1}})


def _pool(profile: str) -> dict[str, object]:
    return {"name": "gpu", "cluster": "c", "hosts": ["esx1", "esx2"], "vgpuProfile": profile,
            "gpusPerHost": 8, "hostCores": 112, "hostSockets": 2, "hostMemoryGb": 2048}


@pytest.mark.parametrize(
    ("profile", "slots_per_gpu"),
    [
        ("nvidia_h200x-1-18c", 7),
        ("nvidia_b200x-2-45c", 3),
        ("nvidia_rtx_pro_6000_blackwell_dc-1-8q", 12),
        ("NVIDIA_L20-4C", 12),
    ],
)
def test_config_and_sizing_take_current_gpus(profile: str, slots_per_gpu: int) -> None:
    config = parse_config({"pools": [_pool(profile)]})
    pool = sizing.plan(config).pools[0]
    assert pool.vgpu_profile == profiles.canonical_name(profile)
    assert (pool.capacity.slots_per_gpu, pool.capacity.slots_total) == (
        slots_per_gpu, slots_per_gpu * 8 * 2
    )


def test_config_names_the_key_of_a_profile_nvidia_does_not_publish() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"pools": [_pool("nvidia_h100xm-16q")]})  # H100 has no Q types
    (issue,) = caught.value.issues
    assert issue.path == "gpu-mlaas:pools[0].vgpuProfile"
    assert "not a NVIDIA H100 SXM5 80GB profile" in issue.message


def test_the_docs_list_every_catalog_gpu() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "vsphere-vgpu.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", docs, flags=re.MULTILINE))
    assert listed == set(profiles.catalog())


# NVIDIA AI Enterprise release 7, "Hopper Architecture vGPU Types", as printed: type, maximum per
# GPU (equal-size mode), frame buffer in its "GB" column (MB / 1000). An independent check of
# the device manager's data the catalog is built from.
AIE7_HOPPER = {
    "h800l": "7-94c 1 96, 4-47c 1 48, 3-47c 2 48, 2-24c 3 24, 1-24c 4 24, 1-12c 7 12, "
             "1-12cme 1 12, 94c 1 96, 47c 2 48, 23c 4 23, 15c 6 15, 11c 8 11, 6c 15 6, 4c 23 4",
    "h800": "7-80c 1 81, 4-40c 1 40, 3-40c 2 40, 2-20c 3 20, 1-20c 4 20, 1-10c 7 10, "
            "1-10cme 1 10, 80c 1 81, 40c 2 40, 20c 4 20, 16c 5 16, 10c 8 10, 8c 10 8, 5c 16 5, "
            "4c 20 4",
    "h800xm": "7-80c 1 81, 4-40c 1 40, 3-40c 2 40, 2-20c 3 20, 1-20c 4 20, 1-10c 7 10, "
              "1-10cme 1 10, 80c 1 81, 40c 2 40, 20c 4 20, 16c 5 16, 10c 8 10, 8c 10 8, "
              "5c 16 5, 4c 20 4",
    "h200": "7-141c 1 144, 4-71c 1 72, 3-71c 2 72, 2-35c 3 35, 1-35c 4 35, 1-18c 7 18, "
            "1-18cme 1 18, 141c 1 144, 70c 2 71, 35c 4 35, 28c 5 28, 17c 8 17, 14c 10 14, "
            "8c 16 8, 7c 20 7, 4c 32 4",
    "h200x": "7-141c 1 144, 4-71c 1 72, 3-71c 2 72, 2-35c 3 35, 1-35c 4 35, 1-18c 7 18, "
             "1-18cme 1 18, 141c 1 144, 70c 2 71, 35c 4 35, 28c 5 28, 17c 8 17, 14c 10 14, "
             "8c 16 8, 7c 20 7, 4c 32 4",
    "h100l": "7-94c 1 96, 4-47c 1 48, 3-47c 2 48, 2-24c 3 24, 1-24c 4 24, 1-12c 7 12, "
             "1-12cme 1 12, 94c 1 96, 47c 2 48, 23c 4 23, 15c 6 15, 11c 8 11, 6c 15 6, 4c 23 4",
    "h100xl": "7-94c 1 96, 4-47c 1 48, 3-47c 2 48, 2-24c 3 24, 1-24c 4 24, 1-12c 7 12, "
              "1-12cme 1 12, 94c 1 96, 47c 2 48, 23c 4 23, 15c 6 15, 11c 8 11, 6c 15 6, 4c 23 4",
    "h100": "7-80c 1 81, 4-40c 1 40, 3-40c 2 40, 2-20c 3 20, 1-20c 4 20, 1-10c 7 10, "
            "1-10cme 1 10, 80c 1 81, 40c 2 40, 20c 4 20, 16c 6 16, 10c 8 10, 8c 10 8, 5c 16 5, "
            "4c 20 4",
    "h100xm": "7-80c 1 81, 4-40c 1 40, 3-40c 2 40, 2-20c 3 20, 1-20c 4 20, 1-10c 7 10, "
              "1-10cme 1 10, 80c 1 81, 40c 2 40, 20c 4 20, 16c 6 16, 10c 8 10, 8c 10 8, "
              "5c 16 5, 4c 20 4",
    "h100xs": "7-64c 1 65, 4-32c 1 32, 3-32c 2 32, 2-16c 3 16, 1-16c 4 16, 1-8c 7 8, "
              "1-8cme 1 8, 64c 1 65, 32c 2 32, 16c 4 16, 8c 8 8, 4c 16 4",
    "h20x": "7-141c 1 144, 4-71c 1 72, 3-71c 2 72, 2-35c 3 35, 1-35c 4 35, 1-18c 7 18, "
            "1-18cme 1 18, 141c 1 144, 70c 2 71, 35c 4 35, 28c 5 28, 17c 8 17, 14c 10 14, "
            "8c 16 8, 7c 20 7, 4c 32 4",
    "h20": "7-96c 1 98, 4-48c 1 49, 3-48c 2 49, 2-24c 3 24, 1-24c 4 24, 1-12c 7 12, "
           "1-12cme 1 12, 96c 1 98, 48c 2 49, 24c 4 24, 16c 6 16, 12c 8 12, 6c 16 6, 4c 24 4",
}
# Where the printed table and the vGPU Manager's data disagree (docs/vsphere-vgpu.md, "GPU
# catalog"): six 16 GB vGPUs do not fit an 80 GB GPU; the catalog keeps the manager's 5.
AIE7_MISPRINTS = {"grid_h100-16c": 6, "grid_h100xm-16c": 6}


@pytest.mark.parametrize("gpu", sorted(AIE7_HOPPER))
def test_hopper_rows_match_nvidia_ai_enterprise_tables(gpu: str) -> None:
    for cell in AIE7_HOPPER[gpu].split(", "):
        type_name, printed_max, printed_gb = cell.split()
        profile = profiles.lookup(f"grid_{gpu}-{type_name}")
        assert profile.framebuffer_mb // 1000 == int(printed_gb), profile
        if profile.name in AIE7_MISPRINTS:
            assert (AIE7_MISPRINTS[profile.name], profile.max_per_gpu) == (int(printed_max), 5)
        else:
            assert profile.max_per_gpu == int(printed_max), profile
