"""vRA lab list queries: 1-based paging metadata and the `$filter` forms clients use."""

from __future__ import annotations

import pytest

from lab.vra.errors import VraError
from lab.vra.query import parse_filter
from tests.support.vra_fixture import VraApi, vra_error

SERVICES = "/catalog-service/api/services"


def test_pages_are_one_based_with_metadata(vra_api: VraApi) -> None:
    names = [f"Service {i}" for i in range(7)]
    for name in names:
        assert vra_api.post(SERVICES, {"name": name}).status_code == 201
    seen = []
    for page in (1, 2, 3):
        body = vra_api.get(SERVICES, params={"page": page, "limit": 3}).json()
        assert body["links"] == []
        assert body["metadata"] == {
            "size": 3,
            "totalElements": 7,
            "totalPages": 3,
            "number": page,
            "offset": (page - 1) * 3,
        }
        seen += [s["name"] for s in body["content"]]
    assert seen == names
    beyond = vra_api.get(SERVICES, params={"page": 4, "limit": 3}).json()
    assert beyond["content"] == [] and beyond["metadata"]["totalElements"] == 7
    default = vra_api.get(SERVICES).json()["metadata"]
    assert (default["size"], default["number"]) == (20, 1)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": 0}, "'page'"),
        ({"limit": 0}, "'limit'"),
        ({"page": "two"}, "'page'"),
        ({"$filter": "name gt 'a'"}, "Unsupported $filter"),
    ],
)
def test_bad_list_query_is_400(vra_api: VraApi, params: dict, named: str) -> None:  # type: ignore[type-arg]
    response = vra_api.get(SERVICES, params=params)
    assert response.status_code == 400
    assert named in vra_error(response)["systemMessage"]


def test_filters_over_http(vra_api: VraApi) -> None:
    for name in ("Machine Learning", "Machine Vision", "O'Brien tools"):
        vra_api.post(SERVICES, {"name": name})

    def names(expression: str) -> list[str]:
        response = vra_api.get(SERVICES, params={"$filter": expression})
        assert response.status_code == 200, response.text
        return [s["name"] for s in response.json()["content"]]

    assert names("name eq 'Machine Learning'") == ["Machine Learning"]
    assert names("startswith(name,'Machine')") == ["Machine Learning", "Machine Vision"]
    assert names("name eq 'O''Brien tools'") == ["O'Brien tools"]
    assert names("startswith(name,'Machine') and name ne 'Machine Vision'") == ["Machine Learning"]
    assert names("name eq 'machine learning'") == []  # eq is exact


def test_filter_paths_follow_refs() -> None:
    item = {"name": "x", "serviceRef": {"id": "s1", "label": "Machine Learning"}}
    assert parse_filter("service/name eq 'Machine Learning'")(item)
    assert parse_filter("serviceRef/id eq 's1'")(item)
    assert not parse_filter("service/id eq 's2'")(item)
    assert not parse_filter("missing/name eq 'x'")(item)
    # `and` inside a quoted value is text, not an operator.
    assert parse_filter("name eq 'a and b'")({"name": "a and b"})
    with pytest.raises(VraError):
        parse_filter("substringof('x', name)")
