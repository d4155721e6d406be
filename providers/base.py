"""The one base of every dynamic provider: a resource declares its schema once, and check,
diff, read-back and the output list derive from it.

A schema is a pydantic model of the inputs (camelCase keys, as on the wire and in state) plus
three class attributes: `replace_keys` (an input whose change means a different object),
`output_keys` (output-only values the provider computes), `secret_keys` (values never written
to state in plaintext). `check` and `diff` never call the remote system. A `SchemaResource`
registers its constructor's keyword arguments under the schema's keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    Resource,
    ResourceProvider,
)
from pydantic import BaseModel, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel

from providers import ownership
from providers.unknowns import contains_unknown

# Field types every schema shares: a trimmed, non-blank string; an owner string
# ("<project>/<stack>/<logical name>", providers/ownership.py).
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Owner = Annotated[str, StringConstraints(pattern=ownership.OWNER.pattern)]


T = TypeVar("T")


def poll(probe: Callable[[], T | None], timeout_seconds: float, *, first_wait: float = 0.2,
         max_wait: float = 2.0, factor: float = 2.0) -> T | None:
    """The one poll of every provider: `probe()` until it answers (not None), each wait
    `factor` times the last up to `max_wait`; None when the next wait would pass
    `timeout_seconds` (for what a server makes a moment after it answers: catalog items
    imported after a save, a vSphere task)."""
    deadline = time.monotonic() + timeout_seconds
    wait = first_wait
    while True:
        found = probe()
        if found is not None or time.monotonic() + wait > deadline:
            return found
        time.sleep(wait)
        wait = min(wait * factor, max_wait)


def domain_props(props: dict[str, Any]) -> dict[str, Any]:
    """`props` without the engine's own keys (`__provider`, ...)."""
    return {k: v for k, v in props.items() if not k.startswith("__")}


def failure_message(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


class SchemaProvider(ResourceProvider):
    """Base of all providers. Holds no state: dill pickles instances into `__provider`."""

    serialize_as_secret_always = False
    inputs_model: ClassVar[type[BaseModel]]
    kind: ClassVar[str]
    replace_keys: ClassVar[tuple[str, ...]] = ()
    output_keys: ClassVar[tuple[str, ...]] = ()
    secret_keys: ClassVar[tuple[str, ...]] = ()

    # -- hooks for subclasses -------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        """Endpoint settings from the stack config (subclasses)."""

    def complete_inputs(self, inputs: dict[str, Any], olds: dict[str, Any]) -> list[CheckFailure]:
        """Fill derived inputs (e.g. ids from names) in place; known values only."""
        return []

    def key_change(self, key: str, old: Any, new: Any) -> tuple[bool, bool]:
        """(changed, replace) for one input key; override for keys compared specially."""
        changed = contains_unknown(new) or old != new
        return changed, changed and key in self.replace_keys

    def drifted(self, olds: dict[str, Any]) -> bool:
        """True when what refresh read back must be put right even with unchanged inputs (the
        one drift hook: an update puts it right, or a replacement where `drift_replaces`
        names the keys to report)."""
        return False

    # Keys `diff` reports as replaced when `drifted` (empty: an update puts the drift right).
    drift_replaces: ClassVar[tuple[str, ...]] = ()

    # -- engine hooks ---------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        raw = domain_props(news)
        unknown = {k for k, v in raw.items() if contains_unknown(v)}
        known = {k: v for k, v in raw.items() if k not in unknown}
        failures: list[CheckFailure] = []
        try:
            model = self.inputs_model.model_validate(known)
            inputs: dict[str, Any] = model.model_dump(exclude_none=True)
        except ValidationError as exc:
            inputs = dict(known)
            for err in exc.errors():
                key = str(err["loc"][0]) if err.get("loc") else ""
                # A required value that is merely unknown during preview is not a failure.
                if key in unknown:
                    continue
                failures.append(CheckFailure(key, f"{self.kind}: {failure_message(dict(err))}"))
            self._fill_defaults(inputs)
        inputs.update({k: raw[k] for k in unknown})
        if not failures:
            failures = self.complete_inputs(inputs, domain_props(olds or {}))
        return CheckResult(inputs, failures)

    def _fill_defaults(self, inputs: dict[str, Any]) -> None:
        for name, info in self.inputs_model.model_fields.items():
            if name not in inputs and not info.is_required():
                default = info.get_default(call_default_factory=True)
                if default is not None:
                    inputs[name] = default

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes: list[str] = []
        replaces: list[str] = []
        for key in self.inputs_model.model_fields:
            changed, replace = self.key_change(key, olds.get(key), news.get(key))
            if changed:
                changes.append(key)
            if replace:
                replaces.append(key)
        drifted = self.drifted(olds)
        replaces += [key for key in self.drift_replaces if drifted and key not in replaces]
        return DiffResult(
            changes=bool(changes) or drifted,
            replaces=replaces,
            delete_before_replace=False,
        )

    # -- helpers --------------------------------------------------------------------------

    def parse(self, props: dict[str, Any]) -> Any:
        """Validated inputs from checked props; refuses bad input naming the key."""
        fields = set(self.inputs_model.model_fields)
        try:
            return self.inputs_model.model_validate({k: v for k, v in props.items() if k in fields})
        except ValidationError as exc:
            details = "; ".join(failure_message(dict(e)) for e in exc.errors())
            raise ValueError(f"{self.kind}: invalid inputs: {details}") from None

    def inputs_of(self, outs: dict[str, Any]) -> dict[str, Any]:
        """The input keys of a set of outputs (for `ReadResult.inputs`)."""
        fields = set(self.inputs_model.model_fields)
        return {k: v for k, v in outs.items() if k in fields and v is not None}

    @classmethod
    def resource_props(cls, inputs: dict[str, Any]) -> dict[str, Any]:
        """What a `Resource` registers: its inputs, and every output-only key as None so it
        resolves from the provider's outputs."""
        return {**inputs, **{key: None for key in cls.output_keys if key not in inputs}}

    @classmethod
    def props_from_arguments(cls, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """`resource_props` from a Resource constructor's keyword arguments: each Python name
        (`memory_mb`) becomes the schema's camelCase key (`memoryMb`). A name the schema does
        not know is a programming error, refused here rather than dropped by the engine."""
        inputs: dict[str, Any] = {}
        for name, value in arguments.items():
            if name in _NOT_INPUTS:
                continue
            key = to_camel(name)
            if key not in cls.inputs_model.model_fields:
                raise TypeError(f"{cls.kind}: argument {name!r} is no input of its schema")
            inputs[key] = value
        return cls.resource_props(inputs)


class RestProvider(SchemaProvider):
    """Base of the providers of a REST backend (vRA, Aria): every resource has an `endpoint`
    input (`providers.settings.EndpointInput`). Its `endpoint_identity` keys name the server:
    another value is another object (a replacement); the TLS switch changes in place."""

    service: ClassVar[str]
    endpoint_identity: ClassVar[tuple[str, ...]] = ("url",)

    def endpoint_moved(self, old: Any, new: Any) -> bool:
        """True when two `endpoint` values name different servers (a trailing "/" aside)."""
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}

        def identity(endpoint: dict[str, Any]) -> tuple[Any, ...]:
            return tuple(
                str(endpoint.get(k, "")).rstrip("/") if k == "url" else endpoint.get(k)
                for k in self.endpoint_identity
            )

        return identity(old) != identity(new)

    def key_change(self, key: str, old: Any, new: Any) -> tuple[bool, bool]:
        if key == "endpoint":
            if contains_unknown(new) or self.endpoint_moved(old, new):
                return True, True
            # Same server, different trust setting: nothing to replace.
            return bool((old or {}).get("insecure")) != bool((new or {}).get("insecure")), False
        return super().key_change(key, old, new)

    def gone(self, id_: str) -> RuntimeError:
        """Error for an update whose object vanished: the server would give a re-made one a
        new id, which an update cannot report, so the user refreshes and Pulumi creates it
        again."""
        return RuntimeError(
            f"{self.kind} {id_!r} no longer exists in {self.service} (deleted outside "
            "Pulumi); run `pulumi refresh`, then `pulumi up` creates it again"
        )


# A Resource constructor's own parameters (and the cell zero-argument `super()` adds).
_NOT_INPUTS = frozenset({"self", "resource_name", "opts", "__class__"})


class SchemaResource(Resource):
    """A dynamic resource whose props derive from its provider's schema. A subclass names its
    provider (`provider_class`) and keeps its typed keyword-only constructor, whose body is
    `super().__init__(resource_name, locals(), opts)`: the arguments become the schema's
    input keys, and the schema's `output_keys` resolve from the provider's outputs."""

    provider_class: ClassVar[type[SchemaProvider]]

    def __init__(
        self,
        resource_name: str,
        arguments: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = self.provider_class
        super().__init__(
            provider(), resource_name, provider.props_from_arguments(arguments), opts
        )
