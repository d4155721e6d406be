"""Entry point of the gpu-mlaas policy pack: builds the PolicyPack, which serves forever.

The engine runs a Python pack as `python -u -m pulumi.policy <engine> .` with the pack directory
as cwd, so only `policy/` is on sys.path. The rules live in the `policy` package and use the
project's sizing core (`mlaas`), both one level up: put the project root first on the path. This
also makes `python policy/__main__.py` work from the project root. Never import this module from
tests: building the PolicyPack starts the analyzer's gRPC server and blocks.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.rules import POLICIES  # noqa: E402

PolicyPack(
    name="gpu-mlaas-policies",
    description="Guards the GPU machine-learning catalog: vGPU sizing, cloning, TLS and secrets.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
