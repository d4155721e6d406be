"""The gRPC harness itself: the SDK host really runs our provider and returns floats for ints."""

from tests.support.dynamic_host import DynamicHost, provider_blob, urn
from tests.support.toy_provider import EchoProvider


def test_host_runs_check_and_create_over_grpc() -> None:
    blob = provider_blob(EchoProvider())
    with DynamicHost() as host:
        inputs, failures = host.check(urn("test:x:Echo", "a"), {}, {"__provider": blob, "value": 3})
        assert failures == []
        assert inputs["value"] == 3.0 and isinstance(inputs["value"], float)
        id_, outs = host.create(urn("test:x:Echo", "a"), inputs)
        assert id_ == "echo-1"
        assert outs["seen"] is True
        assert outs["__provider"] == blob
        assert host.stop() == 0
