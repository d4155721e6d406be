"""A minimal provider used only to prove the gRPC harness itself works."""

from pulumi.dynamic import CreateResult, ResourceProvider


class EchoProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props):
        return CreateResult(id_="echo-1", outs={"value": props["value"], "seen": True})
