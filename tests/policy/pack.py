"""Starting the policy pack's analyzer and talking to it over gRPC, as the engine does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from lab.process import first_line
from mlaas.settings import VRA, VSPHERE
from tests.policy.cases import urn

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policy"
STARTUP_DEADLINE_S = 30  # generous: a cold interpreter on a busy 2-core machine
# How the engine starts a Python pack: `python -u -m pulumi.policy <engine> .` in the pack folder.
ENGINE_COMMAND = [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."]


def _without_tls_switches(environ: Mapping[str, str]) -> dict[str, str]:
    """The test environment minus the variables that would turn TLS checks off in the pack."""
    dropped = {VSPHERE.insecure.env, VRA.insecure.env}
    return {key: value for key, value in environ.items() if key not in dropped}


def serve(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Any]:
    """Start the pack with `command`, yield an AnalyzerStub on the port it prints, then stop
    that one process."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**_without_tls_switches(os.environ), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = first_line(process, STARTUP_DEADLINE_S)
        if not port.isdigit():
            process.kill()
            _, err = process.communicate(timeout=STARTUP_DEADLINE_S)
            pytest.fail(f"policy pack did not print its port: {port!r}\n{err}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=STARTUP_DEADLINE_S)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_DEADLINE_S)


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(props, message)
    return message


def analyze(stub: Any, kind: str, name: str, props: dict[str, Any], stack: str = "prod") -> Any:
    request = analyzer_pb2.AnalyzeRequest(
        type=kind, name=name, urn=urn(kind, name, stack), properties=struct(props)
    )
    return stub.Analyze(request)


def by_policy(response: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for diagnostic in response.diagnostics:
        found.setdefault(diagnostic.policyName, []).append(diagnostic)
    return found


