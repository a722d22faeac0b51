"""NextGen response envelopes: ResponseDTO, ErrorDTO, FailureDTO, AccessDeniedErrorDTO."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

# response_messages.properties templates that add a prefix to the message.
_PREFIX = {"INVALID_REQUEST": "Invalid request: "}
# ErrorCode -> HTTP status, for the codes the emulator uses.
HTTP_STATUS = {
    "INVALID_REQUEST": 400,
    "INVALID_INPUT_SET": 400,
    "ABORT_ALL_ALREADY_NG": 400,
    "NG_PIPELINE_EXECUTION_EXCEPTION": 400,
    "RESOURCE_NOT_FOUND_EXCEPTION": 400,
    "INVALID_TOKEN": 401,
    "EXPIRED_TOKEN": 401,
    "NG_ACCESS_DENIED": 403,
    "ACCESS_DENIED": 403,
    "ENTITY_NOT_FOUND": 404,
    "RESOURCE_NOT_FOUND": 404,
    "UNKNOWN_ERROR": 500,
    "REQUEST_TIMEOUT": 504,
}
GENERIC_500 = "Oops, something went wrong on our end. Please contact Harness Support."
TOKEN_INVALID = "Token is not valid."


@dataclass
class NgResponse:
    status: int
    body: bytes = b""
    content_type: Optional[str] = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False


def correlation_id() -> str:
    return str(uuid.uuid4())


def raw(status: int, payload: Any) -> NgResponse:
    return NgResponse(status, json.dumps(payload, separators=(",", ":")).encode())


def ok(data: Any, meta: Any = None) -> NgResponse:
    return raw(
        200,
        {"status": "SUCCESS", "data": data, "metaData": meta, "correlationId": correlation_id()},
    )


def message_for(code: str, text: str) -> str:
    prefix = _PREFIX.get(code, "")
    return text if text.startswith(prefix) else prefix + text


def error(
    code: str,
    text: str,
    status: Optional[int] = None,
    metadata: Any = None,
    detailed: Optional[str] = None,
) -> NgResponse:
    message = message_for(code, text)
    payload = {
        "status": "ERROR",
        "code": code,
        "message": message,
        "correlationId": correlation_id(),
        "detailedMessage": detailed,
        "responseMessages": [
            {
                "code": code,
                "level": "ERROR",
                "message": message,
                "exception": None,
                "failureTypes": [],
            }
        ],
        "metadata": metadata,
    }
    return raw(status or HTTP_STATUS.get(code, 400), payload)


def failure(code: str, text: str, errors: list[dict[str, str]]) -> NgResponse:
    payload = {
        "status": "FAILURE",
        "code": code,
        "message": text,
        "correlationId": correlation_id(),
        "errors": errors,
    }
    return raw(400, payload)


def access_denied(text: str, checks: list[dict[str, Any]]) -> NgResponse:
    # NGAccessDeniedExceptionMapper: an ErrorDTO plus failedPermissionChecks, no correlationId.
    payload: dict[str, Any] = {
        "status": "ERROR",
        "code": "NG_ACCESS_DENIED",
        "message": text,
        "correlationId": None,
        "detailedMessage": None,
        "responseMessages": [
            {
                "code": "NG_ACCESS_DENIED",
                "level": "ERROR",
                "message": text,
                "exception": None,
                "failureTypes": [],
            }
        ],
        "metadata": None,
        "failedPermissionChecks": checks,
    }
    return raw(403, payload)


def unknown_route() -> NgResponse:
    # NotFoundExceptionMapper: an unknown path is a 400 FailureDTO, not a 404.
    return failure("RESOURCE_NOT_FOUND_EXCEPTION", "HTTP 404 Not Found", [])


def missing_param(name: str) -> NgResponse:
    errors = [{"fieldId": name, "error": "must not be null"}]
    return failure("INVALID_REQUEST", f"{name}: must not be null", errors)


def dropwizard(status: int, text: str) -> NgResponse:
    """Dropwizard's own {code, message} body (e.g. a query enum it cannot parse)."""
    return raw(status, {"code": status, "message": text})


def unauthorized() -> NgResponse:
    return error("INVALID_TOKEN", TOKEN_INVALID, 401)


def server_error() -> NgResponse:
    return error("UNKNOWN_ERROR", GENERIC_500, 500)


def edge_throttled() -> NgResponse:
    # Cloud Armor at the edge: 429 and no Retry-After header.
    page = (
        "<!doctype html><meta charset=utf-8><title>429 Too Many Requests</title>Too Many Requests"
    )
    return NgResponse(429, page.encode(), "text/html; charset=UTF-8", rate_limited=True)


def page(content: list[Any], page_index: int, size: int, total: int) -> dict[str, Any]:
    """Spring Data's Page as Jackson writes it (pipelines and executions lists)."""
    pages = (total + size - 1) // size if size else 0
    sort = {"sorted": True, "unsorted": False, "empty": False}
    return {
        "content": content,
        "pageable": {
            "sort": sort,
            "pageNumber": page_index,
            "pageSize": size,
            "offset": page_index * size,
            "paged": True,
            "unpaged": False,
        },
        "totalElements": total,
        "totalPages": pages,
        "last": page_index >= pages - 1,
        "size": size,
        "number": page_index,
        "sort": sort,
        "numberOfElements": len(content),
        "first": page_index == 0,
        "empty": not content,
    }


def page_response(content: list[Any], page_index: int, size: int, total: int) -> dict[str, Any]:
    """NG's PageResponse (input set lists)."""
    return {
        "totalPages": (total + size - 1) // size if size else 0,
        "totalItems": total,
        "pageItemCount": len(content),
        "pageSize": size,
        "content": content,
        "pageIndex": page_index,
        "empty": not content,
    }
