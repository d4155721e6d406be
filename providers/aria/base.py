"""What every Aria dynamic provider shares: configure, the endpoint input, and the life cycle of a
named object that carries this project's owner marker in its description.

`check` and `diff` never call Aria. A different Aria (url) is a replacement; the TLS switch alone
is an in-place change.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pulumi.dynamic import ConfigureRequest, CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict

from providers import ownership, settings
from providers.aria.client import AriaClient, client_for, path_segment
from providers.aria.settings import configure_from_stack
from providers.base import Owner, RestProvider, domain_props
from providers.settings import EndpointInput


class EndpointArgs(settings.EndpointArgs):
    """Which Aria a resource lives in (no secrets: credentials come from stack config)."""


class AriaInputs(BaseModel):
    """Inputs every Aria resource has."""

    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointInput
    owner: Owner | None = None


class AriaProvider(RestProvider):
    """Base of the Aria providers."""

    service = "Aria"

    def configure(self, req: ConfigureRequest) -> None:
        configure_from_stack(req.config)

    @staticmethod
    def client(props: dict[str, Any]) -> AriaClient:
        endpoint = EndpointInput.model_validate(props.get("endpoint"))
        return client_for(endpoint.url, endpoint.insecure)



class OwnedObjectProvider(AriaProvider):
    """A named Aria object whose description carries the owner marker (providers/ownership.py).

    create: one found by name is adopted only by the ownership rule (`ownership.require`), else
    NotOwnedError; a POST whose answer was lost is settled by finding it again by name. read:
    the stored name and description (marker stripped) come back as inputs, so a change made
    outside Pulumi shows in the next diff; a deleted object drops out of state. update and
    delete touch only an object the same rule proves ours.
    """

    collection: ClassVar[str]
    label: ClassVar[str]
    # How Aria saves a change: "PATCH"/"PUT" of the item, or "POST" of the body with its `id`
    # to the collection (a save that also creates: docs/aria8-api.md).
    save_method: ClassVar[str] = "PATCH"
    # Query parameters of the collection's POST (e.g. a required `dryRun`).
    post_params: ClassVar[dict[str, str] | None] = None

    @property
    def id_key(self) -> str:
        """The output holding the object's id: the first output key."""
        return self.output_keys[0]

    # -- per-kind hooks -------------------------------------------------------------------

    def item_path(self, id_: str) -> str:
        return f"{self.collection}/{path_segment(id_)}"

    def search(self, spec: Any) -> dict[str, Any] | None:
        """Query parameters that narrow the list `find` reads."""
        return None

    def find(self, client: AriaClient, spec: Any) -> dict[str, Any] | None:
        """The object of this name (exact) among those `search` lists."""
        return client.find_named(self.collection, spec.name, self.search(spec))

    def body(self, spec: Any) -> dict[str, Any]:
        """What a POST or a save sends; kinds add their own fields."""
        return {"name": spec.name, "description": ownership.mark(spec.description, spec.owner)}

    def post(self, client: AriaClient, spec: Any, reread: Any) -> dict[str, Any]:
        return client.create(self.collection, self.body(spec), reread, params=self.post_params)

    def write(self, client: AriaClient, id_: str, spec: Any) -> dict[str, Any]:
        if self.save_method == "POST":
            return client.send("POST", self.collection, {**self.body(spec), "id": id_},
                               params=self.post_params)
        return client.send(self.save_method, self.item_path(id_), self.body(spec))

    def same(self, spec: Any, doc: dict[str, Any]) -> bool:
        """True when `doc` already is what `spec` asks for (no write needed)."""
        return bool(
            doc.get("name") == spec.name
            and doc.get("description") == ownership.mark(spec.description, spec.owner)
        )

    def observed(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Input keys as read back from Aria."""
        text, _ = ownership.split(doc.get("description"))
        return {"name": doc.get("name"), "description": text}

    def extra_outputs(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {}

    # -- life cycle -----------------------------------------------------------------------

    def _check_owner(self, spec: Any, doc: dict[str, Any],
                     state_marked: bool | None = None) -> None:
        """The one rule (`ownership.require`; `state_marked` None: adopting `doc`)."""
        _, found = ownership.split(doc.get("description"))
        ownership.require(self.label, str(doc.get("name")), found, spec.owner,
                          state_marked=state_marked)

    def _outputs(self, spec: Any, doc: dict[str, Any]) -> dict[str, Any]:
        return {**spec.model_dump(exclude_none=True), self.id_key: str(doc["id"]),
                **self.extra_outputs(doc)}

    def _converge(self, client: AriaClient, spec: Any, doc: dict[str, Any],
                  state_marked: bool | None = None) -> dict[str, Any]:
        self._check_owner(spec, doc, state_marked)
        return doc if self.same(spec, doc) else self.write(client, str(doc["id"]), spec)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = self.parse(props)
        client = self.client(props)
        found = self.find(client, spec)
        if found is not None:
            doc = self._converge(client, spec, found)
        else:
            doc = self.post(client, spec, lambda: self.find(client, spec))
            self._check_owner(spec, doc)  # an adopted answer must be ours too
        return CreateResult(str(doc["id"]), self._outputs(spec, doc))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        doc = self.client(props).get(self.item_path(id_))
        if doc is None:
            return ReadResult("", {})
        outs = {**domain_props(props), **self.observed(doc), self.id_key: id_,
                **self.extra_outputs(doc)}
        return ReadResult(id_, outs, self.inputs_of(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = self.parse(news)
        client = self.client(news)
        doc = client.get(self.item_path(id_))
        if doc is None:
            raise self.gone(id_)
        return UpdateResult(
            self._outputs(spec, self._converge(client, spec, doc, ownership.state_marked(olds))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client(props)
        doc = client.get(self.item_path(id_))
        if doc is None:
            return  # already gone
        self._check_owner(self.parse(props), doc, state_marked=ownership.state_marked(props))
        client.delete(self.item_path(id_))
