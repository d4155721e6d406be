"""vRA error bodies: `{"errors":[{code, source, message, systemMessage, moreInfoUrl}]}`.

Codes seen in captured vRA 7 answers (docs/vra7-api.md, Errors): 90135 bad credentials, 20116
not found, 10101 "Invalid argument." with the particulars in `systemMessage`. 10140 (already
exists) and 10120 (in use) are the lab's own choices; so are the rest.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

AUTH_FAILED = 90135
NOT_AUTHENTICATED = 90136
NOT_FOUND = 20116
ALREADY_EXISTS = 10140
IN_USE = 10120
INVALID = 10101
INVALID_MESSAGE = "Invalid argument."
INJECTED = 50000
INTERNAL = 50001
NOT_IMPLEMENTED = 50002


class VraError(Exception):
    """An error the lab answers with vRA's error body and the given HTTP status."""

    def __init__(self, status: int, code: int, message: str, system_message: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.system_message = system_message or message


def error_body(code: int, message: str, system_message: str | None = None) -> dict[str, Any]:
    return {
        "errors": [
            {
                "code": code,
                "source": None,
                "message": message,
                "systemMessage": system_message or message,
                "moreInfoUrl": None,
            }
        ]
    }


def error_response(
    status: int,
    code: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    system_message: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, system_message), status_code=status, headers=headers
    )


def not_found(kind: str, key: str) -> VraError:
    return VraError(404, NOT_FOUND, f"Unable to find the specified {kind}: {key}")


def invalid(message: str) -> VraError:
    """400 as vRA answers a bad argument: a fixed message, the particulars in systemMessage."""
    return VraError(400, INVALID, INVALID_MESSAGE, message)


def already_exists(kind: str, key: str) -> VraError:
    return VraError(409, ALREADY_EXISTS, f"{kind} {key!r} already exists")


def parse_body(model: type[M], body: Any, what: str) -> M:
    """Validate a request body, turning pydantic's complaint into a 400 that names the key."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise invalid(f"Invalid {what}: {where}: {first['msg']}") from None
