"""passwords-are-secrets: every plain password input wrapped in a Pulumi secret (remediation)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Secret

from policy.props import is_unknown

_PASSWORD_KEY = re.compile(r"passw(or)?d|passphrase", re.IGNORECASE)


# --- passwords-are-secrets -----------------------------------------------------------------------
# pulumi-policy 1.21 cannot tell a validator whether a value is secret: the engine sends secrets
# marked, but `Analyze` and `AnalyzeStack` call `deserialize_properties(...)` without
# `proxy_secrets`, which unwraps every secret to its plain value (pulumi_policy/deserialize.py;
# pulumi/pulumi-policy#241). Only `Remediate` keeps the marks: there a secret arrives as a
# `pulumi_policy.Secret`, reachable under the `"__target"` key of the secrets-preserving proxy
# (pulumi_policy/secret.py). So this rule is a remediation: it hands the engine the resource's
# inputs with every plain password wrapped in `Secret`, which the engine then stores encrypted.


def _raw(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """The marked mapping behind pulumi-policy's secrets-preserving proxy (or the mapping)."""
    try:
        target = mapping["__target"]
    except KeyError:
        return mapping
    return target if isinstance(target, Mapping) else mapping


def secret_passwords(props: Mapping[str, Any], path: str = "") -> tuple[dict[str, Any], list[str]]:
    """A copy of `props` with every plain, known password string wrapped in `Secret`, and the
    paths of the values it wrapped. Non-string values under such keys (a `passwordAuth` switch)
    are left alone."""
    fixed: dict[str, Any] = {}
    wrapped: list[str] = []
    for key, value in _raw(props).items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, Secret) or is_unknown(value):
            fixed[key] = value
        elif isinstance(value, Mapping):
            fixed[key], inner = secret_passwords(value, where)
            wrapped += inner
        elif _PASSWORD_KEY.search(key) and isinstance(value, str) and value:
            fixed[key] = Secret(value)
            wrapped.append(where)
        else:
            fixed[key] = value
    return fixed, wrapped


def passwords_are_secrets_remediation(args: ResourceValidationArgs) -> dict[str, Any] | None:
    fixed, wrapped = secret_passwords(args.props)
    return fixed if wrapped else None
