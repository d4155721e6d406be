"""The minimal documented vRA 7.3 call sequences for one offering, call by call.

Counted from the documented routes (docs/vra7-routes.md, docs/vra7-api.md); POST bodies are
not relied on: an object is re-read after its POST, by id when the client chose the id, by name
otherwise. One offering = software component + blueprint + catalog service + catalog item
placement + entitlement. Each entry is `"METHOD path-template"`; a `?$filter` suffix marks a
filtered list. `bench/README.md` explains each call.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, TypedDict

TOKEN = "POST /identity/api/tokens"
TOKEN_REVOKE = "DELETE /identity/api/tokens/{token}"

MINIMAL: dict[str, list[str]] = {
    "create": [
        TOKEN,  # one bearer token for the whole run
        # software component: POST the DRAFT document, re-read it, publish it
        "POST /software-service/api/softwarecomponenttypes",
        "GET /software-service/api/softwarecomponenttypes/{id}",
        "PUT /software-service/api/softwarecomponenttypes/{id}/status",
        # blueprint: template id, its disks (by-id route), the id checked free (a PUT creates
        # or overwrites, so a look-up must come first), the document, the documented publish
        "GET /iaas-proxy-provider/api/source-machines?$filter",
        "GET /iaas-proxy-provider/api/source-machines/{id}",
        "GET /composition-service/api/blueprintdocuments/{id}",
        "PUT /composition-service/api/blueprintdocuments/{id}",
        "PUT /composition-service/api/blueprints/{id}/status",
        # catalog service: server-chosen id, so POST then find by name
        "POST /catalog-service/api/services",
        "GET /catalog-service/api/services?$filter",
        # catalog item: find the item made from the blueprint, PUT it with serviceRef
        "GET /catalog-service/api/catalogItems",
        "PUT /catalog-service/api/catalogItems/{id}",
        # entitlement: business group id, the principal's search, POST, find by name
        "GET /identity/api/tenants/{tenant}/subtenants?$filter",
        "GET /identity/api/tenants/{tenant}/groups",
        "POST /catalog-service/api/entitlements",
        "GET /catalog-service/api/entitlements?$filter",
        TOKEN_REVOKE,  # log out at the end
    ],
    # `pulumi up` with nothing changed compares inputs with state: no call at all.
    "no-change": [],
    # `pulumi refresh`: one GET per object, one token.
    "refresh": [
        TOKEN,
        "GET /software-service/api/softwarecomponenttypes/{id}",
        "GET /composition-service/api/blueprintdocuments/{id}",
        "GET /catalog-service/api/services/{id}",
        "GET /catalog-service/api/catalogItems/{id}",
        "GET /catalog-service/api/entitlements/{id}",
        TOKEN_REVOKE,
    ],
    # Each object is read first (its owner marker decides whether it may be touched); vRA 7
    # has no DELETE for entitlements and services: one is ended, the other retired, by PUT.
    "destroy": [
        TOKEN,
        "GET /catalog-service/api/entitlements/{id}",
        "PUT /catalog-service/api/entitlements/{id}",
        "GET /composition-service/api/blueprintdocuments/{id}",
        "PUT /composition-service/api/blueprints/{id}/status",
        "DELETE /composition-service/api/blueprints/{id}",
        "GET /software-service/api/softwarecomponenttypes/{id}",
        "DELETE /software-service/api/softwarecomponenttypes/{id}",
        "GET /catalog-service/api/services/{id}",
        "PUT /catalog-service/api/services/{id}",
        TOKEN_REVOKE,
    ],
}

# Why the providers make each call beyond the minimal sequences, as found by reading them.
REASONS: dict[str, str] = {
    "GET /catalog-service/api/catalogItems":
        "polling: the lab lists the item 0.3 s after publish (catalogItemDelaySeconds) and "
        "CatalogItem polls with back-off (providers/vra/catalog_item.py wait_for_item); the "
        "delay in vRA 7 is not documented (docs/vra7-api.md), so no first wait is guessed",
    "GET /catalog-service/api/entitlements?$filter":
        "look-up by name before the POST: an entitlement of this name with this resource's "
        "owner marker (a run whose answer was lost, or one ended by an earlier destroy) is "
        "taken up again, any other is refused (providers/vra/entitlement.py)",
    "GET /catalog-service/api/services?$filter":
        "look-up by name before the POST: the service id is server-chosen and vRA 7 is not "
        "known to refuse a duplicate name (docs/vra7-api.md); a service found this way is "
        "this resource's own only if its description carries its owner marker "
        "(providers/vra/catalog_service.py)",
    "GET /identity/api/tenants/{tenant}/principals":
        "resolve_principal searches users first; ml-users@vsphere.local is a group, so that "
        "search answers an empty list before the group search (providers/vra/entitlement.py). "
        "Kept: a ref does not say whether it names a user or a group (both are name@domain)",
}

# Which resource of an offering makes a create call, by a path fragment.
_KIND_OF_PATH = (("/softwarecomponenttypes", "SoftwareComponent"),
                 ("/source-machines", "Blueprint"), ("/blueprint", "Blueprint"),
                 ("/services", "CatalogService"), ("/catalogItems", "CatalogItem"),
                 ("/tenants/", "Entitlement"), ("/entitlements", "Entitlement"))


def minimal_create_calls_by_kind() -> dict[str, int]:
    """Minimal create calls per resource kind (tokens left out: one per process)."""
    counts: Counter[str] = Counter()
    for call in MINIMAL["create"]:
        kind = next((k for fragment, k in _KIND_OF_PATH if fragment in call), None)
        if kind is not None:
            counts[kind] += 1
    return dict(counts)


# Collections whose next path segment is an object id.
_COLLECTIONS = ("softwarecomponenttypes", "blueprints", "blueprintdocuments", "services",
                "catalogItems", "entitlements", "tokens", "principals", "groups",
                "source-machines")


class Comparison(TypedDict):
    actual: int
    minimal: int
    extra: dict[str, int]  # calls made beyond the minimal sequence, with how often
    missing: dict[str, int]  # minimal calls that were not made


def call_template(entry: dict[str, Any]) -> str:
    """`"METHOD template"` of one request-log entry (ids replaced, filtered lists marked)."""
    parts = str(entry["path"]).split("/")
    out: list[str] = []
    for index, part in enumerate(parts):
        before = parts[index - 1] if index else ""
        if before == "tenants":
            part = "{tenant}"
        elif before in _COLLECTIONS:
            part = {"tokens": "{token}", "principals": "{ref}", "groups": "{ref}"}.get(
                before, "{id}"
            )
        out.append(part)
    filtered = "?$filter" if re.search(r"(^|&)\$filter=", str(entry.get("query") or "")) else ""
    return f"{entry['method']} {'/'.join(out)}{filtered}"


def compare(step: str, log: list[dict[str, Any]]) -> Comparison:
    """Actual calls of a step next to its minimal sequence: counts and the differences."""
    actual = Counter(call_template(e) for e in log)
    minimal = Counter(MINIMAL[step])
    return {
        "actual": sum(actual.values()),
        "minimal": sum(minimal.values()),
        "extra": dict(sorted((actual - minimal).items())),
        "missing": dict(sorted((minimal - actual).items())),
    }
