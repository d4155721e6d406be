"""A small stand-in for the Pulumi engine: the real program runs under `set_mocks`, and every
dynamic resource it declares is sent through the SDK's provider host (gRPC) to the labs.

Per resource it does what the engine does on `pulumi up`: Check, then Create for a new
resource, or Diff against the last state and then Update / create-before-delete Replace.
Any other resource (the program declares none today) would be answered by the mock, echoing
its inputs. `destroy()` deletes in reverse
creation order, as the engine's dependency graph would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks, rpc

from lab.vcsim import VcsimLab
from lab.vra import VraLab
from tests.support.dynamic_host import PROVIDER_KEY, DynamicHost, urn
from tests.support.program import as_runtime, lab_stack_values, run_program

DYNAMIC_PREFIX = "pulumi-python:dynamic"
IN_FLIGHT_DEADLINE_SECONDS = 60.0


@dataclass
class Record:
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class LabEngine(mocks.Mocks):
    host: DynamicHost
    stack: str = "dev"
    project: str = "gpu-mlaas"
    state: dict[str, Record] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # creation order, for destroy
    operations: list[tuple[str, str]] = field(default_factory=list)  # this run's (op, key)
    mocked: dict[str, dict[str, Any]] = field(default_factory=dict)  # non-dynamic inputs by key
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _busy: int = 0  # provider calls in flight
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def _urn(self, typ: str, name: str) -> str:
        return urn(typ, name, self.stack, self.project)

    @staticmethod
    def _plain(inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs as the engine sends them to a provider that does not accept secrets (the
        Python dynamic provider host says so in Configure): every secret unwrapped."""
        return {key: rpc.unwrap_rpc_secret(value) for key, value in inputs.items()}

    @staticmethod
    def _secret_keys(inputs: Mapping[str, Any]) -> set[str]:
        return {key for key, value in inputs.items()
                if key != PROVIDER_KEY and rpc.is_rpc_secret(value)}

    @staticmethod
    def _marked(values: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
        """As the engine keeps a non-secret-accepting provider's values (annotateSecrets in
        pkg/resource/plugin/provider_plugin.go): a key that was a secret input stays secret."""
        return {key: rpc.wrap_rpc_secret(value) if key in keys else value
                for key, value in values.items()}

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        with self._idle:
            self._busy += 1
        try:
            return self._register(args)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _register(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC_PREFIX):
            # Not a dynamic resource: echo inputs, as a provider would return them.
            with self._lock:
                self.mocked[f"{args.typ}::{args.name}"] = dict(args.inputs)
            return f"{args.name}-id", dict(args.inputs)
        key = f"{args.typ}::{args.name}"
        urn = self._urn(args.typ, args.name)
        news = self._plain(args.inputs)
        secret = self._secret_keys(args.inputs)

        def record(id_: str, inputs: dict[str, Any], outs: dict[str, Any]) -> Record:
            return Record(args.typ, args.name, id_, self._marked(inputs, secret),
                          self._marked(outs, secret))

        with self._lock:
            old = self.state.get(key)
        if old is None:
            inputs = self._check(urn, {}, news)
            id_, outs = self.host.create(urn, inputs)
            self._record("create", key, record(id_, inputs, outs), new=True)
            return id_, self._marked(outs, secret)
        olds = self._plain(old.outputs)
        inputs = self._check(urn, self._plain(old.inputs), news)
        diff = self.host.diff(old.id, urn, olds, inputs)
        if diff.get("changes") != "DIFF_SOME":
            self._record("same", key, old)
            return old.id, old.outputs
        if diff.get("replaces"):
            # create-before-delete unless the provider asked otherwise
            if diff.get("deleteBeforeReplace"):
                self.host.delete(old.id, urn, olds)
                id_, outs = self.host.create(urn, inputs)
            else:
                id_, outs = self.host.create(urn, inputs)
                self.host.delete(old.id, urn, olds)
            self._record("replace", key, record(id_, inputs, outs))
            return id_, self._marked(outs, secret)
        outs = self.host.update(old.id, urn, olds, inputs)
        self._record("update", key, record(old.id, inputs, outs))
        return old.id, self._marked(outs, secret)

    def _check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        inputs, failures = self.host.check(urn, olds, news)
        if failures:
            raise AssertionError(f"Check failed for {urn}: {failures}")
        return inputs

    def _record(self, op: str, key: str, record: Record, new: bool = False) -> None:
        with self._lock:
            self.state[key] = record
            self.operations.append((op, key))
            if new:
                self.order.append(key)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []

    # -- running the program ----------------------------------------------------------------
    def up(self, config: Mapping[str, str], secret_keys: list[str]) -> dict[str, Any]:
        """Evaluate `__main__.py` once with this config; returns the resolved stack outputs.
        As Pulumi does, resources the program no longer declares are deleted at the end, after
        every create (newest first), so a renamed resource exists before its old one goes."""
        self.operations = []
        try:
            outputs = run_program(
                self, config, secret_keys, project=self.project, stack=self.stack
            )
        except BaseException:
            self._finish_in_flight()
            raise
        declared = {key for _, key in self.operations}
        for key in [k for k in reversed(self.order) if k not in declared]:
            record = self.state.pop(key)
            self.host.delete(record.id, self._urn(record.type, record.name),
                             self._plain(record.outputs))
            self.order.remove(key)
            self.operations.append(("delete", key))
        return outputs

    def _finish_in_flight(self) -> None:
        """After a failed step the SDK leaves the other registrations outstanding on its event
        loop, where they would resume inside the next `up`. Pulumi's engine starts no new step
        after a failure and waits for the running ones: cancel what has not started, wait for
        what has."""
        loop = asyncio.get_event_loop_policy().get_event_loop()
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # A registration a worker thread picked up just before the cancel is about to enter
        # new_resource; give it a moment to be counted, then wait for every counted one.
        time.sleep(0.05)
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, IN_FLIGHT_DEADLINE_SECONDS):
                raise AssertionError(f"{self._busy} provider call(s) still running")

    def destroy(self) -> None:
        for key in reversed(self.order):
            record = self.state.pop(key)
            self.host.delete(record.id, self._urn(record.type, record.name),
                             self._plain(record.outputs))
            self.operations.append(("delete", key))
        self.order.clear()


def stack_config(
    vcsim: VcsimLab, vra: VraLab, offerings: int | None = None
) -> tuple[dict[str, str], list[str]]:
    """The dev stack's config pointed at these labs, as the runtime hands it over (strings);
    `offerings` keeps only the first N offerings."""
    raw = lab_stack_values("dev", vcsim)
    raw["gpu-mlaas:vra"] |= {"url": vra.url, "caBundle": str(vra.ca_file),
                             "password": vra.password, "businessGroup": vra.business_group}
    if offerings is not None:
        raw["gpu-mlaas:offerings"] = raw["gpu-mlaas:offerings"][:offerings]
    return as_runtime(raw), ["vsphere:password", "gpu-mlaas:vra"]

