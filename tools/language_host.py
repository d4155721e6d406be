"""The Python language host the Pulumi engine starts as `pulumi-language-python <engine address>`.

Pulumi's own host is a Go module the Go module proxy does not serve here (docs/real-engine.md),
so `make tools` installs this one in its place. It speaks the engine's LanguageRuntime gRPC
protocol (the SDK ships the generated stubs) and does what the engine asks of a Python host:

- `Run`: start the program with the SDK's program runner (`pulumi-language-python-exec`, taken
  by `make tools` from the published `sdk/v3` Go module) in the project's virtualenv, config in
  `PULUMI_CONFIG` / `PULUMI_CONFIG_SECRET_KEYS`, exactly the arguments that runner reads;
- `RunPlugin`: start a policy pack (`python -m pulumi.policy`) or a Python plugin
  (`python -m pulumi.run.plugin`) in its own virtualenv, streaming its output back;
- the rest answer what this project needs: no plugin packages (every resource here is a
  dynamic one, served by `pulumi-resource-pulumi-python`), plugin info, `about`.

Runtime options read from Pulumi.yaml / PulumiPolicy.yaml: `virtualenv`, `toolchain` (pip only)
and `typechecker` (mypy only); any other value is refused with a message naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

TOOLS_BIN = Path(__file__).resolve().parent.parent / ".tools" / "bin"
PROGRAM_RUNNER = TOOLS_BIN / "pulumi-language-python-exec"
# The runner's exit code for "already told the user why" (no second error message).
BAIL_EXIT_CODE = 32
SUPPORTED = {"toolchain": {"pip"}, "typechecker": {"mypy"}}


class OptionError(ValueError):
    """A runtime option this host cannot honour."""


def runtime_options(info: language_pb2.ProgramInfo) -> dict[str, Any]:
    options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
    for key, allowed in SUPPORTED.items():
        if key in options and options[key] not in allowed:
            raise OptionError(
                f"runtime option {key}: {options[key]!r} is not supported by this language host "
                f"(supported: {', '.join(sorted(allowed))})"
            )
    return options


def interpreter(info: language_pb2.ProgramInfo) -> str:
    """The virtualenv's python when the project names one, else the python running this host."""
    venv = runtime_options(info).get("virtualenv")
    if not venv:
        return sys.executable
    path = Path(venv) if os.path.isabs(venv) else Path(info.root_directory) / venv
    python = path / "bin" / "python"
    if not python.exists():
        raise OptionError(
            f"runtime option virtualenv: {path} has no bin/python; create it (`make tools`)"
        )
    return str(python)


def program_path(info: language_pb2.ProgramInfo) -> str:
    return str(Path(info.program_directory) / (info.entry_point or "."))


class PythonLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address

    def Handshake(self, request: Any, context: Any) -> Any:
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        from pulumi._version import _VERSION

        return plugin_pb2.PluginInfo(version=_VERSION)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def About(self, request: Any, context: Any) -> Any:
        return language_pb2.AboutResponse(
            executable=sys.executable, version=sys.version.split()[0]
        )

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def Run(self, request: Any, context: Any) -> Any:
        info = request.info
        try:
            python = interpreter(info)
            options = runtime_options(info)
        except OptionError as error:
            return language_pb2.RunResponse(error=str(error))
        env = {
            **os.environ,
            "PULUMI_CONFIG": json.dumps(dict(request.config)),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys)),
        }
        if options.get("typechecker") == "mypy":
            checked = subprocess.run(
                [python, "-m", "mypy", info.program_directory], env=env, check=False
            )
            if checked.returncode != 0:
                return language_pb2.RunResponse(error="mypy found type errors (above)")
        command = [
            python, "-u", str(PROGRAM_RUNNER),
            "--monitor", request.monitor_address,
            "--engine", self.engine_address,
            "--project", request.project,
            "--stack", request.stack,
            "--pwd", request.pwd,
            "--dry_run", "true" if request.dryRun else "false",
            "--parallel", str(request.parallel),
            "--organization", request.organization,
            "--root_directory", info.root_directory,
            program_path(info), *request.args,
        ]  # fmt: skip
        # The program writes to this host's stdout and stderr, which the engine shows.
        done = subprocess.run(command, env=env, cwd=request.pwd or None, check=False)
        if done.returncode == 0:
            return language_pb2.RunResponse()
        if done.returncode == BAIL_EXIT_CODE:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(
            error=f"the Python program exited with code {done.returncode}"
        )

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:
        info = request.info
        try:
            python = interpreter(info)
        except OptionError as error:
            yield language_pb2.RunPluginResponse(stderr=f"{error}\n".encode())
            yield language_pb2.RunPluginResponse(exitcode=1)
            return
        if request.kind == "analyzer":
            # pulumi.policy reads <engine address> <policy pack directory>.
            command = [python, "-u", "-m", "pulumi.policy", *request.args, info.program_directory]
        else:
            command = [python, "-u", "-m", "pulumi.run.plugin", *request.args]
        env = dict(item.split("=", 1) for item in request.env if "=" in item) or dict(os.environ)
        yield from _stream(command, env, request.pwd or info.program_directory)


def _stream(command: list[str], env: dict[str, str], cwd: str) -> Iterator[Any]:
    """Run `command`, yielding its stdout and stderr as they come, then its exit code."""
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    chunks: list[Any] = []
    ready = threading.Condition()

    def pump(stream: Any, field: str) -> None:
        for data in iter(lambda: stream.read1(65536), b""):
            with ready:
                chunks.append(language_pb2.RunPluginResponse(**{field: data}))
                ready.notify()
        with ready:
            chunks.append(None)
            ready.notify()

    for stream, field in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
        threading.Thread(target=pump, args=(stream, field), daemon=True).start()
    open_streams = 2
    while open_streams:
        with ready:
            ready.wait_for(lambda: bool(chunks))
            batch, chunks[:] = list(chunks), []
        for chunk in batch:
            if chunk is None:
                open_streams -= 1
            else:
                yield chunk
    yield language_pb2.RunPluginResponse(exitcode=proc.wait())


def main() -> None:
    engine_address = next((a for a in reversed(sys.argv[1:]) if not a.startswith("-")), "")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        PythonLanguageHost(engine_address), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    # The engine reads the port from the first line of stdout.
    print(port, flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:  # the engine interrupts its plugins when it is done with them
        server.stop(grace=1)


if __name__ == "__main__":
    main()
