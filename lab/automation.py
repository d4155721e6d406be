"""A stack of this project on the real engine (Automation API), pointed at running labs.

Used by the engine tests and the engine benchmark: the CLI, language host and dynamic-provider
plugin are the ones `make tools` put in .tools/bin; the backend is a file backend in a folder
of the caller's; the stack file is the dev stack's, with the labs' addresses, CA bundles and
passwords (as secrets) filled in. `close()` destroys the stack and removes its file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from lab.vcsim import VcsimLab
from lab.vra import VraLab

PROJECT = Path(__file__).resolve().parents[1]
TOOLS = PROJECT / ".tools"
POLICY_PACK = str(PROJECT / "policy")


def cli_built() -> bool:
    return (TOOLS / "bin" / "pulumi").exists()


class EngineStack:
    """One stack through the Automation API, with each operation's engine events kept."""

    def __init__(self, name: str, vcsim: VcsimLab, vra: VraLab, state_dir: Path) -> None:
        from pulumi import automation as auto

        self.stack_file = PROJECT / f"Pulumi.{name}.yaml"
        # The dev stack's config only: not the secrets settings a local `make up` may keep.
        dev = yaml.safe_load((PROJECT / "Pulumi.dev.yaml").read_text())
        settings = {"config": dev["config"]}
        config = settings["config"]
        config["vsphere:vsphereServer"] = vcsim.host_port
        config["vsphere:user"] = vcsim.user
        config["gpu-mlaas:vsphereCaBundle"] = str(vcsim.ca_file)
        config["gpu-mlaas:vra"] |= {"url": vra.url, "caBundle": str(vra.ca_file)}
        self.stack_file.write_text(yaml.safe_dump(settings, sort_keys=False))
        env = {
            "PATH": f"{TOOLS / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": state_dir.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "gpu-mlaas-lab",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        self.workspace = auto.LocalWorkspace(
            work_dir=str(PROJECT),
            env_vars=env,
            pulumi_command=auto.PulumiCommand(root=str(TOOLS), skip_version_check=True),
        )
        self.name = name
        self.stack = auto.Stack.create_or_select(name, self.workspace)
        self.stack.set_config("vsphere:password", auto.ConfigValue(vcsim.password, secret=True))
        self.stack.set_config(
            "gpu-mlaas:vra.password", auto.ConfigValue(vra.password, secret=True), path=True
        )
        self.events: list[Any] = []

    def edit(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the stack file's config in place (secrets stay as the CLI wrote them)."""
        settings = yaml.safe_load(self.stack_file.read_text())
        change(settings["config"])
        self.stack_file.write_text(yaml.safe_dump(settings, sort_keys=False))

    def up(self, **kwargs: Any) -> Any:
        self.events = []
        return self.stack.up(on_event=self.events.append, policy_packs=[POLICY_PACK], **kwargs)

    def preview(self, **kwargs: Any) -> Any:
        return self.stack.preview(policy_packs=[POLICY_PACK], **kwargs)

    def steps(self) -> list[tuple[str, str]]:
        """(operation, "Type::name") of each resource step of the last `up`, in order. The
        default dynamic provider is left out: it holds the whole stack config, so the engine
        "updates" it on any config change, with nothing sent anywhere."""
        seen = []
        for event in self.events:
            pre = event.resource_pre_event
            if pre is None or pre.metadata.type.startswith("pulumi:providers:"):
                continue
            meta = pre.metadata
            kind = meta.type.rsplit(":", 1)[-1]
            seen.append((str(meta.op.value), f"{kind}::{meta.urn.rsplit('::', 1)[-1]}"))
        return seen

    def close(self) -> None:
        try:
            self.stack.destroy()
            self.workspace.remove_stack(self.name)
        finally:
            self.stack_file.unlink(missing_ok=True)
