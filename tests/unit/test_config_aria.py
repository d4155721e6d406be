"""The `gpu-mlaas:aria` key: validated like the rest, exactly one catalog backend per stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlaas.config import Secret
from mlaas.issues import ConfigError
from mlaas.loading import from_runtime, load_stack_file, parse_config

ROOT = Path(__file__).resolve().parents[2]
ARIA = {"url": "https://aria.example.com", "username": "admin", "project": "ml"}


def issues(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(values)
    return {issue.path: issue.message for issue in caught.value.issues}


def test_the_dev_aria_stack_is_valid() -> None:
    config = load_stack_file(ROOT / "Pulumi.dev-aria.yaml")
    assert config.aria is not None and config.vra is None
    assert config.aria.project == "ml-platform"
    assert config.aria.domain == "System Domain"


def test_vra_and_aria_together_are_refused() -> None:
    vra = {"url": "https://vra.example.com", "username": "a@b", "businessGroup": "g"}
    found = issues({"gpu-mlaas:vra": vra, "gpu-mlaas:aria": ARIA})
    assert found == {"gpu-mlaas:aria": "set either gpu-mlaas:vra or gpu-mlaas:aria, not both"}


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"url": "http://aria"}, "gpu-mlaas:aria.url", "should match pattern"),
        ({"project": ""}, "gpu-mlaas:aria.project", "must not be blank"),
        ({"password": "plain"}, "gpu-mlaas:aria.password", "must be a secret"),
        ({"refreshToken": "plain"}, "gpu-mlaas:aria.refreshToken", "must be a secret"),
        ({"insecure": True, "caBundle": "ca.pem"}, "gpu-mlaas:aria", "not both"),
        ({"timeoutSeconds": 0}, "gpu-mlaas:aria.timeoutSeconds", "greater than 0"),
        ({"tenant": "x"}, "gpu-mlaas:aria.tenant", "unknown key"),
        # The same rules as gpu-mlaas:vra (one endpoint model, one switch vocabulary).
        ({"insecure": "ture"}, "gpu-mlaas:aria.insecure", "must be true or false"),
        ({"timeoutSeconds": 7200}, "gpu-mlaas:aria.timeoutSeconds", "less than or equal to 3600"),
        ({"timeoutSeconds": True}, "gpu-mlaas:aria.timeoutSeconds", "must be a number"),
    ],
)
def test_each_bad_aria_value_names_its_key(change: dict[str, Any], path: str,
                                           message: str) -> None:
    found = issues({"gpu-mlaas:aria": ARIA | change})
    assert path in found and message in found[path], found


def test_a_password_needs_a_username() -> None:
    values = {k: v for k, v in ARIA.items() if k != "username"}
    found = issues({"gpu-mlaas:aria": values | {"password": {"secure": "AAA"}}})
    assert found == {"gpu-mlaas:aria": "password needs username"}


def test_runtime_secrets_are_accepted_and_hidden() -> None:
    raw = {"gpu-mlaas:aria": '{"url": "https://a.example", "project": "ml", '
                             '"refreshToken": "tok-123"}'}
    config = from_runtime(raw, ["gpu-mlaas:aria"])
    assert config.aria is not None and isinstance(config.aria.refresh_token, Secret)
    assert "tok-123" not in repr(config.aria)
    with pytest.raises(ConfigError, match="must be a secret"):
        from_runtime(raw, [])
