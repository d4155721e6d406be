"""Drive dynamic providers through the SDK's own provider host over gRPC, as the engine does.

`python -m pulumi.dynamic` is started with cwd = the project root (provider classes are pickled
by reference, so their modules must import), its port is read from stdout, and each call is a
real `pulumirpc.ResourceProvider` request. Properties travel as protobuf Structs, so integers
come back as floats, exactly as under `pulumi up`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from lab.process import first_line

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "__provider"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value known later
START_TIMEOUT_S = 30.0


class ProviderCallError(RuntimeError):
    """A provider method raised; `details` carries the provider's message and traceback."""

    def __init__(self, method: str, error: grpc.RpcError):
        self.method = method
        self.code = error.code()
        self.details = error.details() or ""
        super().__init__(f"{method} failed ({self.code.name}): {self.details}")


def provider_blob(provider: ResourceProvider) -> str:
    """The plain base64 `__provider` string the engine stores in state for this provider."""
    return serialize_provider(provider)


def _change(
    id_: str, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields a Diff and an Update request share."""
    return {"id": id_, "urn": urn, "olds": _struct(olds), "news": _struct(news)}


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


def _dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


class DynamicHost:
    """One provider host process; use as a context manager."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path = PROJECT_ROOT,
    ):
        self._config = dict(config or {})
        self._env = {**os.environ, **(env or {})}
        self._cwd = cwd
        self.process: subprocess.Popen[str] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self.stderr_path: Path | None = None

    # -- life cycle -------------------------------------------------------------------------
    def __enter__(self) -> DynamicHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        # Kept after stop(): tests read the host's log once it has exited (logouts at exit).
        with tempfile.NamedTemporaryFile(
            prefix="dynamic-host-", suffix=".log", delete=False
        ) as log:
            self.stderr_path = Path(log.name)
            self.process = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.dynamic"],
                cwd=self._cwd,
                env=self._env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        port = first_line(self.process, START_TIMEOUT_S)
        if not port.isdigit():
            self.stop(timeout=0)
            raise RuntimeError(f"provider host did not print a port; stderr: {self.stderr()}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_S)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.configure(self._config)

    def stop(self, timeout: float = 20) -> int | None:
        """Stop the way an interrupted engine does (SIGINT): the host's gRPC server stops and
        Python exits normally, so `atexit` handlers (logouts) run."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def stderr(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path else ""

    # -- calls ------------------------------------------------------------------------------
    def _call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "host not started"
        try:
            return getattr(self._stub, method)(request, timeout=300)
        except grpc.RpcError as error:
            raise ProviderCallError(method, error) from None

    def configure(self, config: Mapping[str, Any]) -> None:
        self._call("Configure", provider_pb2.ConfigureRequest(args=_struct(config)))

    def check(
        self, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        response = self._call(
            "Check", provider_pb2.CheckRequest(urn=urn, olds=_struct(olds), news=_struct(news))
        )
        failures = [{"property": f.property, "reason": f.reason} for f in response.failures]
        return _dict(response.inputs), failures

    def create(self, urn: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Create", provider_pb2.CreateRequest(urn=urn, properties=_struct(props))
        )
        return response.id, _dict(response.properties)

    def diff(
        self, id_: str, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        response = self._call("Diff", provider_pb2.DiffRequest(**_change(id_, urn, olds, news)))
        return json_format.MessageToDict(response, preserving_proto_field_name=False)

    def update(
        self, id_: str, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        response = self._call(
            "Update", provider_pb2.UpdateRequest(**_change(id_, urn, olds, news))
        )
        return _dict(response.properties)

    def read(
        self, id_: str, urn: str, props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Read", provider_pb2.ReadRequest(id=id_, urn=urn, properties=_struct(props))
        )
        return response.id, _dict(response.properties)

    def delete(self, id_: str, urn: str, props: Mapping[str, Any]) -> None:
        self._call(
            "Delete", provider_pb2.DeleteRequest(id=id_, urn=urn, properties=_struct(props))
        )


def urn(type_token: str, name: str, stack: str = "dev", project: str = "gpu-mlaas") -> str:
    """A resource URN like the engine builds for a top-level resource."""
    return f"urn:pulumi:{stack}::{project}::{type_token}::{name}"
