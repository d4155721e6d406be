"""The minimal documented vRA 7.3 call sequences for one offering, call by call.

Counted from docs/vra7-api.md (identity, software components, blueprints, catalog,
entitlements, teardown; the § numbers below are its sections) and the encodings chosen in
providers/vra/documents.py (POST bodies are not relied on: an object is re-read after its POST,
by id when the client chose the id, by name otherwise). One offering = software component +
blueprint + catalog service + catalog item placement + entitlement. Each entry is
`"METHOD path-template"`; a `?$filter` suffix marks a filtered list. `bench/README.md`
explains each call.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, TypedDict

TOKEN = "POST /identity/api/tokens"
TOKEN_REVOKE = "DELETE /identity/api/tokens/{token}"

MINIMAL: dict[str, list[str]] = {
    "create": [
        TOKEN,  # §2: one bearer token for the whole run
        # software component (§3): POST the DRAFT document, re-read it, publish it
        "POST /software-service/api/softwarecomponenttypes",
        "GET /software-service/api/softwarecomponenttypes/{id}",
        "PUT /software-service/api/softwarecomponenttypes/{id}/status",
        # blueprint (§4): template id lookup, POST already PUBLISHED (K1 sample), re-read
        "GET /iaas-proxy-provider/api/source-machines?$filter",
        "POST /composition-service/api/blueprints",
        "GET /composition-service/api/blueprints/{id}",
        # catalog service (§5): server-chosen id, so POST then find by name
        "POST /catalog-service/api/services",
        "GET /catalog-service/api/services?$filter",
        # catalog item (§5): find the item made from the blueprint, PUT it with serviceRef
        "GET /catalog-service/api/catalogItems",
        "PUT /catalog-service/api/catalogItems/{id}",
        # entitlement (§2, §6): business group id, principal type, POST, find by name
        "GET /identity/api/tenants/{tenant}/subtenants?$filter",
        "GET /identity/api/tenants/{tenant}/groups/{ref}",
        "POST /catalog-service/api/entitlements",
        "GET /catalog-service/api/entitlements?$filter",
        TOKEN_REVOKE,  # §2: log out at the end
    ],
    # `pulumi up` with nothing changed compares inputs with state: no call at all.
    "no-change": [],
    # `pulumi refresh`: one GET per object, one token.
    "refresh": [
        TOKEN,
        "GET /software-service/api/softwarecomponenttypes/{id}",
        "GET /composition-service/api/blueprints/{id}",
        "GET /catalog-service/api/services/{id}",
        "GET /catalog-service/api/catalogItems/{id}",
        "GET /catalog-service/api/entitlements/{id}",
        TOKEN_REVOKE,
    ],
    # §7 order; clearing the item's serviceRef is optional there (it goes with its blueprint).
    "destroy": [
        TOKEN,
        "DELETE /catalog-service/api/entitlements/{id}",
        "PUT /composition-service/api/blueprints/{id}/status",
        "DELETE /composition-service/api/blueprints/{id}",
        "DELETE /software-service/api/softwarecomponenttypes/{id}",
        "DELETE /catalog-service/api/services/{id}",
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
        "look-up by name before the POST, to adopt what a half-finished create left (providers/"
        "ownership.py); POST first and look up only on 409 would save it where vRA refuses "
        "duplicate names (not confirmed for vRA 7, docs/vra7-api.md)",
    "GET /catalog-service/api/services?$filter":
        "look-up by name before the POST: the service id is server-chosen and vRA 7 is not "
        "known to refuse a duplicate name (docs/vra7-api.md); a service found this way is this "
        "stack's own only if its description carries this stack's owner marker "
        "(providers/vra/catalog_service.py)",
    "GET /identity/api/tenants/{tenant}/principals/{ref}":
        "resolve_principal asks for a user first; ml-users@vsphere.local is a group, so that "
        "answer is a 404 before the group look-up (providers/vra/entitlement.py). Kept: a ref "
        "does not say whether it names a user or a group (both are name@domain), and asking "
        "for groups first would only move the 404 to users, or pick the group where both exist",
}

# Which resource of an offering makes a create call, by a path fragment.
_KIND_OF_PATH = (("/softwarecomponenttypes", "SoftwareComponent"),
                 ("/source-machines", "Blueprint"), ("/blueprints", "Blueprint"),
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
_COLLECTIONS = ("softwarecomponenttypes", "blueprints", "services", "catalogItems",
                "entitlements", "tokens", "principals", "groups")


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
