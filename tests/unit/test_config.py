"""Stack config validation: every problem reported at once, with its key path."""

from typing import Any

import pytest

from mlaas.config import Secret
from mlaas.issues import ConfigError
from mlaas.loading import from_runtime, parse_config


def good_pool(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "p100",
        "cluster": "gpu",
        "hosts": ["esx1"],
        "vgpuProfile": "grid_p100-4q",
        "gpusPerHost": 1,
        "hostCores": 16,
        "hostSockets": 2,
        "hostMemoryGb": 256,
    } | overrides


def issues(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(values)
    return {issue.path: issue.message for issue in caught.value.issues}


def test_valid_config_with_defaults() -> None:
    config = parse_config({"pools": [good_pool(vgpuProfile="nvidia_P100-4Q")],
                           "offerings": [{"name": "tf", "pool": "p100", "maxInstances": 4}]})
    pool = config.pools[0]
    assert pool.vgpu_profile == "grid_p100-4q"
    assert pool.hypervisor_reserve_gb == 16
    assert pool.assignment_policy == "performance"


def test_other_namespaces_are_ignored() -> None:
    config = parse_config({"vsphere:user": "x", "aws:region": "y", "gpu-mlaas:pools": []})
    assert config.pools == []


@pytest.mark.parametrize(
    ("values", "path", "fragment"),
    [
        ({"gpu-mlaas:pool": []}, "gpu-mlaas:pool", "unknown key"),
        ({"pools": [good_pool(colour="red")]}, "gpu-mlaas:pools[0].colour", "unknown key"),
        ({"pools": [good_pool(gpusPerHost="two")]}, "gpu-mlaas:pools[0].gpusPerHost",
         "valid integer"),
        ({"pools": [good_pool(gpusPerHost=0)]}, "gpu-mlaas:pools[0].gpusPerHost", "greater than 0"),
        ({"pools": [good_pool(hosts=[])]}, "gpu-mlaas:pools[0].hosts", "at least 1"),
        ({"pools": [good_pool(hosts=["a", "a"])]}, "gpu-mlaas:pools[0].hosts", "listed twice"),
        ({"pools": [good_pool(vgpuProfile="grid_p100-3q")]}, "gpu-mlaas:pools[0].vgpuProfile",
         "not a Tesla P100"),
        ({"pools": [good_pool(vgpuProfile="p100 4q")]}, "gpu-mlaas:pools[0].vgpuProfile",
         "not a vGPU profile name"),
        ({"pools": [good_pool(assignmentPolicy="fast")]}, "gpu-mlaas:pools[0].assignmentPolicy",
         "'performance' or 'consolidation'"),
        ({"pools": [good_pool(hypervisorReserveGb=300)]}, "gpu-mlaas:pools[0]",
         "must be below hostMemoryGb"),
        ({"pools": [{"name": "p"}]}, "gpu-mlaas:pools[0].cluster", "required key is missing"),
        ({"pools": "p100"}, "gpu-mlaas:pools", "valid list"),
        ({"offerings": [{"name": "tf", "pool": "nope", "maxInstances": 1}]},
         "gpu-mlaas:offerings[0].pool", "no pool named 'nope'"),
        ({"offerings": [{"name": "tf", "maxInstances": 0}]}, "gpu-mlaas:offerings[0].maxInstances",
         "greater than 0"),
        ({"pools": [good_pool(), good_pool(hosts=["esx2"])]}, "gpu-mlaas:pools[1].name",
         "duplicate pool name"),
        ({"pools": [good_pool(), good_pool(name="other")]}, "gpu-mlaas:pools[1].hosts",
         "already in pool 'p100'"),
        ({"offerings": [{"name": "a", "maxInstances": 1}, {"name": "a", "maxInstances": 1}]},
         "gpu-mlaas:offerings[1].name", "duplicate offering name"),
        ({"vra": {"url": "https://vra", "username": "u@d", "password": "plain",
                  "businessGroup": "bg"}}, "gpu-mlaas:vra.password", "must be a secret"),
        ({"vra": {"url": "http://vra", "username": "u@d", "password": {"secure": "x"},
                  "businessGroup": "bg"}}, "gpu-mlaas:vra.url", "should match pattern"),
        ({"vra": {"url": "https://vra", "username": "DOMAIN\\u", "password": {"secure": "x"},
                  "businessGroup": "bg"}}, "gpu-mlaas:vra.username", "should match pattern"),
        ({"vra": {"url": "https://vra", "username": "u@d", "password": {"secure": "x"},
                  "businessGroup": "bg", "insecure": True, "caBundle": "ca.pem"}},
         "gpu-mlaas:vra", "either caBundle or insecure"),
        ({"catalog": {"entitledPrincipals": []}}, "gpu-mlaas:catalog.entitledPrincipals",
         "at least 1"),
        ({"template": {"name": "t"}}, "gpu-mlaas:template.baseImage", "required key is missing"),
    ],
)
def test_each_validation_error_names_its_key(
    values: dict[str, Any], path: str, fragment: str
) -> None:
    found = issues(values)
    assert path in found, found
    assert fragment in found[path]


def test_all_problems_are_reported_together() -> None:
    found = issues({
        "pools": [good_pool(vgpuProfile="grid_bad-1q", hosts=[])],
        "offerings": [{"name": "tf", "pool": "missing", "maxInstances": "x"}],
        "gpu-mlaas:typo": 1,
    })
    assert set(found) == {
        "gpu-mlaas:pools[0].vgpuProfile",
        "gpu-mlaas:pools[0].hosts",
        "gpu-mlaas:offerings[0].pool",
        "gpu-mlaas:offerings[0].maxInstances",
        "gpu-mlaas:typo",
    }


def test_error_text_lists_every_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"pools": [good_pool(hosts=[], gpusPerHost=-1)]})
    text = str(caught.value)
    assert "gpu-mlaas:pools[0].hosts" in text and "gpu-mlaas:pools[0].gpusPerHost" in text


def test_runtime_secret_password_is_accepted_and_hidden() -> None:
    raw = {"gpu-mlaas:vra": '{"url": "https://vra.example", "username": "a@b", '
                            '"password": "s3cret!", "businessGroup": "bg"}'}
    config = from_runtime(raw, secret_keys={"gpu-mlaas:vra"})
    assert config.vra is not None
    assert isinstance(config.vra.password, Secret)
    assert config.vra.password.value == "s3cret!"
    assert "s3cret" not in repr(config)


def test_runtime_plain_password_is_refused() -> None:
    raw = {"gpu-mlaas:vra": '{"url": "https://vra.example", "username": "a@b", '
                            '"password": "s3cret!", "businessGroup": "bg"}'}
    with pytest.raises(ConfigError, match="gpu-mlaas:vra.password: must be a secret"):
        from_runtime(raw, secret_keys=set())


def test_runtime_scalars_stay_strings() -> None:
    config = from_runtime({"gpu-mlaas:datacenter": "2024"}, secret_keys=())
    assert config.datacenter == "2024"


def test_runtime_objects_arrive_as_json() -> None:
    config = from_runtime({"gpu-mlaas:catalog": '{"entitledPrincipals": ["a@b"]}'}, secret_keys=())
    assert config.catalog is not None and config.catalog.entitled_principals == ["a@b"]


def test_names_are_trimmed_before_they_are_compared() -> None:
    config = parse_config({"pools": [good_pool(name=" p100 ")],
                           "offerings": [{"name": " tf ", "pool": "p100", "maxInstances": 1}]})
    assert (config.pools[0].name, config.offerings[0].name) == ("p100", "tf")


def test_runtime_json_with_a_duplicate_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="gpu-mlaas:catalog: duplicate key 'service'"):
        from_runtime({"gpu-mlaas:catalog": '{"service": "a", "service": "b"}'}, secret_keys=())


@pytest.mark.parametrize(
    ("stack", "acknowledged", "refused"),
    [("dev", None, False), ("prod", None, True), ("prod", "true", False), (None, None, True)],
)
def test_tls_off_outside_the_labs_needs_the_acknowledgement(
    stack: str | None, acknowledged: str | None, refused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VSPHERE_ALLOW_UNVERIFIED_SSL", raising=False)
    values: dict[str, Any] = {"vsphere:allowUnverifiedSsl": "true", "pools": [good_pool()]}
    if acknowledged is not None:
        values["gpu-mlaas:insecureTlsAcknowledged"] = acknowledged
    if not refused:
        parse_config(values, stack)
        return
    with pytest.raises(ConfigError, match="vsphere:allowUnverifiedSsl: TLS verification is off"):
        parse_config(values, stack)


def test_tls_off_through_the_environment_counts_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRA_INSECURE", "yes")
    with pytest.raises(ConfigError, match="env var VRA_INSECURE=yes"):
        parse_config({"pools": [good_pool()]}, "prod")
