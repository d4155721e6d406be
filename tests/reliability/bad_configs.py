"""The bad-config corpus as data: each case is a patch applied to the dev stack's config, the
key path the refusal must name and the exit code `plan` must give (2 invalid, 1 infeasible, 0
when only a deployment needs what is missing: the program refuses those).

A patch maps a key path (`gpu-mlaas:pools[0].hostCores`) to its new value, or to DELETE.
`RAW_CASES` are files no patch can express (bytes, YAML structure); the Pulumi CLI parses the
stack file before a program runs, so only `plan` meets them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DELETE = object()
DEV_POOL: dict[str, Any] = {
    "name": "p100-pool", "cluster": "DC0_C0", "hosts": ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"],
    "vgpuProfile": "grid_p100-4q", "gpusPerHost": 1, "hostCores": 16, "hostSockets": 2,
    "hostMemoryGb": 256,
}


@dataclass(frozen=True)
class Case:
    name: str
    why: str
    patch: Mapping[str, Any]
    expect: str  # the key path the refusal names
    plan_exit: int
    stack: str = "dev"  # the stack the file is for (Pulumi.<stack>.yaml)


@dataclass(frozen=True)
class RawCase:
    name: str
    why: str
    edit: Callable[[str], bytes] = field(repr=False)
    expect: str  # a fragment of the message


def _path(path: str) -> list[str | int]:
    return [int(part[1:-1]) if part.startswith("[") else part
            for part in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


def apply(config: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `config` with every patch entry set (or deleted)."""
    patched = copy.deepcopy(dict(config))
    for path, value in patch.items():
        *parents, last = _path(path)
        node: Any = patched
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(copy.deepcopy(value))  # `pools[1]` on a one-pool list adds a pool
        else:
            node[last] = copy.deepcopy(value)
    return patched


P0, O0, O1 = "gpu-mlaas:pools[0]", "gpu-mlaas:offerings[0]", "gpu-mlaas:offerings[1]"
VRA, CATALOG = "gpu-mlaas:vra", "gpu-mlaas:catalog"

CASES = [
    Case("unknown-top-level-key", "a typo of pools",
         {"gpu-mlaas:pool": [DEV_POOL]}, "gpu-mlaas:pool", 2),
    Case("pools-not-a-list", "pools given as a mapping",
         {"gpu-mlaas:pools": {"p100-pool": DEV_POOL}}, "gpu-mlaas:pools", 2),
    Case("pool-unknown-key", "gpuCount instead of gpusPerHost",
         {f"{P0}.gpuCount": 1}, f"{P0}.gpuCount", 2),
    Case("pool-missing-name", "a pool without a name", {f"{P0}.name": DELETE}, f"{P0}.name", 2),
    Case("pool-missing-cluster", "a pool without a cluster",
         {f"{P0}.cluster": DELETE}, f"{P0}.cluster", 2),
    Case("pool-empty-hosts", "an empty host list", {f"{P0}.hosts": []}, f"{P0}.hosts", 2),
    Case("pool-duplicate-host", "a host listed twice",
         {f"{P0}.hosts": ["DC0_C0_H0", "DC0_C0_H0"]}, f"{P0}.hosts", 2),
    Case("pool-duplicate-host-spaces", "a host listed twice, once with spaces around it",
         {f"{P0}.hosts": ["DC0_C0_H0", " DC0_C0_H0 "]}, f"{P0}.hosts", 2),
    Case("pool-hosts-not-a-list", "hosts as one string",
         {f"{P0}.hosts": "DC0_C0_H0,DC0_C0_H1"}, f"{P0}.hosts", 2),
    Case("profile-malformed", "the NVIDIA name instead of the vSphere one",
         {f"{P0}.vgpuProfile": "P100-4Q"}, f"{P0}.vgpuProfile", 2),
    Case("profile-unknown-gpu", "a GPU the catalog does not know",
         {f"{P0}.vgpuProfile": "grid_k80-4q"}, f"{P0}.vgpuProfile", 2),
    Case("profile-not-on-this-gpu", "P100 has no 3Q profile",
         {f"{P0}.vgpuProfile": "grid_p100-3q"}, f"{P0}.vgpuProfile", 2),
    Case("profile-mig-on-non-mig-gpu", "a MIG profile on a T4",
         {f"{P0}.vgpuProfile": "grid_t4-1-4c"}, f"{P0}.vgpuProfile", 2),
    Case("gpus-per-host-zero", "zero GPUs", {f"{P0}.gpusPerHost": 0}, f"{P0}.gpusPerHost", 2),
    Case("gpus-per-host-word", "a word for a number",
         {f"{P0}.gpusPerHost": "two"}, f"{P0}.gpusPerHost", 2),
    Case("gpus-per-host-boolean", "YAML reads `yes` as true, which is not 1 GPU",
         {f"{P0}.gpusPerHost": True}, f"{P0}.gpusPerHost", 2),
    Case("host-cores-negative", "negative cores", {f"{P0}.hostCores": -16}, f"{P0}.hostCores", 2),
    Case("host-cores-absurd", "more cores than any host (used to hang the sizing)",
         {f"{P0}.hostCores": 100_000_000_000}, f"{P0}.hostCores", 2),
    Case("host-sockets-zero", "zero sockets", {f"{P0}.hostSockets": 0}, f"{P0}.hostSockets", 2),
    Case("host-sockets-above-cores", "more sockets than cores",
         {f"{P0}.hostSockets": 32}, P0, 2),
    Case("host-memory-fraction", "memory with a fraction",
         {f"{P0}.hostMemoryGb": 255.5}, f"{P0}.hostMemoryGb", 2),
    Case("host-memory-absurd", "a petabyte host",
         {f"{P0}.hostMemoryGb": 10**6}, f"{P0}.hostMemoryGb", 2),
    Case("reserve-above-memory", "hypervisor reserve larger than the host",
         {f"{P0}.hypervisorReserveGb": 300}, P0, 2),
    Case("reserve-negative", "negative reserve",
         {f"{P0}.hypervisorReserveGb": -1}, f"{P0}.hypervisorReserveGb", 2),
    Case("assignment-policy-unknown", "not performance/consolidation",
         {f"{P0}.assignmentPolicy": "breadth-first"}, f"{P0}.assignmentPolicy", 2),
    Case("pool-name-with-slash", "a pool name vCenter would escape",
         {f"{P0}.name": "p100/pool", f"{O0}.pool": "p100/pool", f"{O1}.pool": "p100/pool"},
         f"{P0}.name", 2),
    Case("duplicate-pool-name", "two pools with one name",
         {"gpu-mlaas:pools[1]": {**DEV_POOL, "hosts": ["esx9"]}}, "gpu-mlaas:pools[1].name", 2),
    Case("pool-names-collide", "p100_pool and p100-pool become one id",
         {"gpu-mlaas:pools[1]": {**DEV_POOL, "name": "P100_pool", "hosts": ["esx9"]}},
         "gpu-mlaas:pools[1].name", 2),
    Case("host-in-two-pools", "a host shared by two pools",
         {"gpu-mlaas:pools[1]": {**DEV_POOL, "name": "other"}}, "gpu-mlaas:pools[1].hosts", 2),
    Case("offering-missing-name", "an offering without a name",
         {f"{O0}.name": DELETE}, f"{O0}.name", 2),
    Case("offering-blank-name", "a name of spaces", {f"{O0}.name": "   "}, f"{O0}.name", 2),
    Case("offering-name-without-id", "no letter or digit to make an id of",
         {f"{O0}.name": "---"}, f"{O0}.name", 2),
    Case("offering-name-too-long", "longer than a catalog name may be",
         {f"{O0}.name": "t" * 65}, f"{O0}.name", 2),
    Case("offering-name-control-character", "a tab inside a name",
         {f"{O0}.name": "tensor\tflow"}, f"{O0}.name", 2),
    Case("offering-missing-pool", "a pool that does not exist",
         {f"{O0}.pool": "a100-pool"}, f"{O0}.pool", 2),
    Case("duplicate-offering-name", "two offerings with one name",
         {f"{O1}.name": "tensorflow-gpu"}, f"{O1}.name", 2),
    Case("offering-names-differ-by-spaces", "names are trimmed, then compared",
         {f"{O1}.name": " tensorflow-gpu "}, f"{O1}.name", 2),
    Case("offering-names-collide", "ml-a and ml_a become one vRA id",
         {f"{O0}.name": "ml-a", f"{O1}.name": "ml_a"}, f"{O1}.name", 2),
    Case("max-instances-zero", "zero instances",
         {f"{O0}.maxInstances": 0}, f"{O0}.maxInstances", 2),
    Case("max-instances-missing", "no maxInstances",
         {f"{O0}.maxInstances": DELETE}, f"{O0}.maxInstances", 2),
    Case("max-instances-absurd", "a billion machines per request",
         {f"{O0}.maxInstances": 10**9}, f"{O0}.maxInstances", 2),
    Case("vcpus-zero", "zero vCPUs", {f"{O0}.vcpus": 0}, f"{O0}.vcpus", 2),
    Case("memory-word", "memory as words",
         {f"{O0}.memoryGb": "thirty-two"}, f"{O0}.memoryGb", 2),
    Case("memory-boolean", "a boolean for memory", {f"{O0}.memoryGb": False}, f"{O0}.memoryGb", 2),
    Case("disk-negative", "negative disk", {f"{O0}.diskGb": -60}, f"{O0}.diskGb", 2),
    Case("disk-absurd", "a disk larger than vSphere allows",
         {f"{O0}.diskGb": 10**7}, f"{O0}.diskGb", 2),
    Case("offering-unknown-key", "a key offerings do not have",
         {f"{O0}.gpu": "p100"}, f"{O0}.gpu", 2),
    Case("image-empty", "an empty image", {f"{O0}.image": ""}, f"{O0}.image", 2),
    Case("template-missing-base-image", "no base image",
         {"gpu-mlaas:template.baseImage": DELETE}, "gpu-mlaas:template.baseImage", 2),
    Case("template-missing-datastore", "no datastore",
         {"gpu-mlaas:template.datastore": DELETE}, "gpu-mlaas:template.datastore", 2),
    Case("template-unknown-key", "the profile belongs to the pool",
         {"gpu-mlaas:template.vgpuProfile": "grid_p100-4q"}, "gpu-mlaas:template.vgpuProfile", 2),
    Case("template-name-too-long", "template and pool names too long for a vCenter VM name",
         {"gpu-mlaas:template.name": "t" * 41}, f"{P0}.name", 2),
    Case("vra-plain-password", "a password in plain text",
         {f"{VRA}.password": "VMware1!"}, f"{VRA}.password", 2),
    Case("vra-http-url", "vRA over plain HTTP",
         {f"{VRA}.url": "http://127.0.0.1:18443"}, f"{VRA}.url", 2),
    Case("vra-username-without-domain", "DOMAIN\\user form",
         {f"{VRA}.username": "VSPHERE\\configurationadmin"}, f"{VRA}.username", 2),
    Case("vra-insecure-and-ca", "both trust modes", {f"{VRA}.insecure": True}, VRA, 2),
    Case("vra-insecure-typo", "a TLS switch that is neither on nor off",
         {f"{VRA}.insecure": "ture", f"{VRA}.caBundle": DELETE}, f"{VRA}.insecure", 2),
    Case("vra-missing-business-group", "no business group",
         {f"{VRA}.businessGroup": DELETE}, f"{VRA}.businessGroup", 2),
    Case("vra-unknown-key", "a token is not configuration",
         {f"{VRA}.token": "abc"}, f"{VRA}.token", 2),
    Case("catalog-no-principals", "nobody entitled",
         {f"{CATALOG}.entitledPrincipals": []}, f"{CATALOG}.entitledPrincipals", 2),
    Case("catalog-duplicate-principal", "a principal twice",
         {f"{CATALOG}.entitledPrincipals": ["ml-users@vsphere.local"] * 2},
         f"{CATALOG}.entitledPrincipals", 2),
    Case("catalog-principal-without-domain", "principals are name@domain",
         {f"{CATALOG}.entitledPrincipals": ["ml-users"]}, f"{CATALOG}.entitledPrincipals[0]", 2),
    Case("datacenter-empty", "an empty datacenter",
         {"gpu-mlaas:datacenter": ""}, "gpu-mlaas:datacenter", 2),
    Case("vsphere-ca-bundle-list", "a list where a path goes",
         {"gpu-mlaas:vsphereCaBundle": ["a.pem"]}, "gpu-mlaas:vsphereCaBundle", 2),
    Case("namespace-typo", "gpu_mlaas: instead of gpu-mlaas:",
         {"gpu-mlaas:datacenter": DELETE, "gpu_mlaas:datacenter": "DC0"},
         "gpu_mlaas:datacenter", 2),
    Case("placeholder-left", "a value still holding a placeholder from Pulumi.example.yaml",
         {"gpu-mlaas:datacenter": "<Datacenter>"}, "gpu-mlaas:datacenter", 2),
    Case("tls-off-outside-the-labs", "TLS verification off on a production stack",
         {"vsphere:allowUnverifiedSsl": True}, "vsphere:allowUnverifiedSsl", 2, stack="prod"),
    Case("tls-switch-typo", "a vCenter TLS switch that is neither on nor off",
         {"vsphere:allowUnverifiedSsl": "ture"}, "vsphere:allowUnverifiedSsl", 2),
    Case("deploy-without-vra", "plan needs no vRA; a deployment does",
         {VRA: DELETE}, VRA, 0),
    Case("deploy-without-template", "plan needs no template; a deployment does",
         {"gpu-mlaas:template": DELETE}, "gpu-mlaas:template", 0),
    Case("vsphere-plain-password", "the vCenter password in plain text",
         {"vsphere:password": "hunter2"}, "vsphere:password", 0),
    Case("vsphere-missing-server", "no vCenter to talk to",
         {"vsphere:vsphereServer": DELETE}, "vsphere:vsphereServer", 0),
    Case("plan-too-many-vcpus", "more vCPUs than the pool's cores per VM",
         {f"{O0}.vcpus": 6}, f"{O0}.vcpus", 1),
    Case("plan-too-many-instances", "more instances than vGPU slots",
         {f"{O0}.maxInstances": 13}, f"{O0}.maxInstances", 1),
    Case("plan-memory-does-not-fit", "4 x 64 GB reserved on a 240 GB host",
         {f"{O1}.memoryGb": 64}, f"{O1}.memoryGb", 1),
]


def _replace(old: str, new: str) -> Callable[[str], bytes]:
    def edit(text: str) -> bytes:
        assert old in text, old
        return text.replace(old, new, 1).encode()

    return edit


RAW_CASES = [
    RawCase("not-utf-8", "a Latin-1 byte in a description",
            lambda text: text.encode().replace(b"quarter", b"quart\xe9r", 1), "not UTF-8"),
    RawCase("duplicate-yaml-key", "YAML forbids a key twice; PyYAML would keep the last",
            _replace("      cluster: DC0_C0\n", "      cluster: DC0_C0\n      cluster: X\n"),
            "duplicate key 'cluster'"),
    RawCase("integer-key", "a key that is not a string",
            _replace("      cluster: DC0_C0\n", "      cluster: DC0_C0\n      7: x\n"),
            "gpu-mlaas:pools[0][7]: keys must be strings"),
    RawCase("deep-nesting", "thousands of nested lists",
            lambda text: text.replace("tensorflow-gpu", "[" * 5000 + "]" * 5000, 1).encode(),
            "nested deeper than"),
    RawCase("yaml-alias-bomb", "aliases that would expand a small file into a huge tree",
            lambda text: (text + "  x: &a [1, 1, 1, 1]\n  y: [*a, *a, *a, *a]\n").encode(),
            "aliases"),
    RawCase("empty-config", "a stack file with nothing in it",
            lambda text: b"config:\n", "nothing to plan or deploy"),
    RawCase("integer-too-long", "more digits than Python converts",
            _replace("hostCores: 16", "hostCores: " + "9" * 5000), "Exceeds the limit"),
]
