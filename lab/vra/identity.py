"""identity service: bearer tokens, business groups, and the users and groups entitlements name
(docs/vra7-api.md, Identity)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from lab.vra.documents import JsonBody
from lab.vra.errors import (
    AUTH_FAILED,
    NOT_AUTHENTICATED,
    VraError,
    invalid,
    not_found,
    parse_body,
)
from lab.vra.query import ListQuery
from lab.vra.store import Store, StoreDep, Token

BEARER = "Bearer "


def bearer_id(authorization: str | None) -> str | None:
    if authorization and authorization.startswith(BEARER):
        return authorization[len(BEARER) :].strip() or None
    return None


def require_token(request: Request, store: StoreDep) -> Token:
    """Every vRA call except the token calls needs a valid, unexpired bearer token."""
    token_id = bearer_id(request.headers.get("authorization"))
    token = store.valid_token(token_id) if token_id else None
    if token is None:
        reason = "missing" if token_id is None else "invalid or expired"
        raise VraError(401, NOT_AUTHENTICATED, f"Authentication required: bearer token {reason}")
    return token


TokenDep = Annotated[Token, Depends(require_token)]


class TokenRequest(BaseModel):
    username: str
    password: str
    tenant: str


tokens = APIRouter(prefix="/identity/api/tokens")


@tokens.post("")
def issue_token(body: JsonBody, store: StoreDep) -> dict[str, Any]:
    creds = parse_body(TokenRequest, body, "token request")
    with store.lock:
        seed = store.seed
        known = any(
            user.username.lower() == creds.username.lower() and user.password == creds.password
            for user in seed.users
        )
        if not known or creds.tenant != seed.tenant:
            raise VraError(
                401,
                AUTH_FAILED,
                f"Unable to authenticate user {creds.username} in tenant {creds.tenant}.",
            )
        token_id, token = store.issue_token(creds.username)
    expires = datetime.fromtimestamp(token.expires_at, UTC)
    return {
        "expires": expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "id": token_id,
        "tenant": token.tenant,
    }


@tokens.head("/{token_id}", status_code=204)
def validate_token(token_id: str, store: StoreDep) -> Response:
    if store.valid_token(token_id) is None:
        return Response(status_code=401)
    return Response(status_code=204)


@tokens.delete("/{token_id}", status_code=204, dependencies=[Depends(require_token)])
def revoke_token(token_id: str, store: StoreDep) -> Response:
    if not store.revoke_token(token_id):
        raise not_found("token", token_id)
    return Response(status_code=204)


tenants = APIRouter(prefix="/identity/api/tenants/{tenant}", dependencies=[Depends(require_token)])


def _check_tenant(store: Store, tenant: str) -> None:
    if tenant != store.seed.tenant:
        raise not_found("tenant", tenant)


@tenants.get("/subtenants")
def list_business_groups(tenant: str, request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        _check_tenant(store, tenant)
        groups: list[dict[str, Any]] = [
            {
                "id": group.id,
                "name": group.name,
                "description": None,
                "tenant": tenant,
                "extensionData": {"entries": []},
            }
            for group in store.seed.businessGroups
        ]
    return query.apply(groups)


def _principal(store: Store, tenant: str, ref: str, kind: str) -> dict[str, Any]:
    with store.lock:
        _check_tenant(store, tenant)
        seed = store.seed
        known = {p.ref.lower(): (p.type, p.name) for p in seed.principals}
        for user in seed.users:
            known.setdefault(user.username.lower(), ("USER", user.username.split("@")[0]))
    found = known.get(ref.lower())
    if found is None or found[0] != kind:
        raise not_found("user" if kind == "USER" else "group", ref)
    name, domain = ref.split("@", 1) if "@" in ref else (ref, "")
    doc: dict[str, Any] = {
        "principalId": {"domain": domain, "name": name},
        "tenantName": tenant,
        "name": found[1],
        "description": None,
    }
    if kind == "USER":
        doc.update(emailAddress=ref, firstName=found[1], lastName="", locked=False, disabled=False)
    else:
        doc.update(fqdn=ref, domain=domain, groupType="SSO", emailAddress=None)
    return doc


def _search(store: Store, tenant: str, request: Request, kind: str) -> dict[str, Any]:
    """The documented search of users (`principals`) or groups: `criteria` matches part of the
    account name, `domain` the domain (docs/vra7-api.md, Principals). A list, so a ref that is
    not of this kind is an empty page, never an error."""
    query = ListQuery.from_request(request)
    criteria = (request.query_params.get("criteria") or "").lower()
    domain = (request.query_params.get("domain") or "").lower()
    with store.lock:
        _check_tenant(store, tenant)
        refs = [p.ref for p in store.seed.principals if p.type == kind]
        if kind == "USER":
            refs += [u.username for u in store.seed.users if u.username not in refs]
    found = []
    for ref in refs:
        name, _, ref_domain = ref.partition("@")
        if criteria in name.lower() and (not domain or domain == ref_domain.lower()):
            found.append(_principal(store, tenant, ref, kind))
    return query.apply(found)


@tenants.get("/principals")
def search_users(tenant: str, request: Request, store: StoreDep) -> dict[str, Any]:
    return _search(store, tenant, request, "USER")


@tenants.get("/groups")
def search_groups(tenant: str, request: Request, store: StoreDep) -> dict[str, Any]:
    return _search(store, tenant, request, "GROUP")


@tenants.get("/principals/{ref}")
def get_user(tenant: str, ref: str, store: StoreDep) -> dict[str, Any]:
    if principal_known(store, ref, "GROUP"):
        # Real vRA answers a group's name here with an error other than 404 (issue 10; its
        # exact form is not public): a client that takes "not 404" for "a user" fails here.
        raise invalid(f"{ref} is not a user id")
    return _principal(store, tenant, ref, "USER")


@tenants.get("/groups/{ref}")
def get_group(tenant: str, ref: str, store: StoreDep) -> dict[str, Any]:
    return _principal(store, tenant, ref, "GROUP")


def principal_known(store: Store, ref: str, kind: str) -> bool:
    """Used by entitlements: is `ref` a known USER/GROUP of the tenant?"""
    try:
        _principal(store, store.seed.tenant, ref, kind)
    except VraError:
        return False
    return True
