"""Every refusal and failure of every route, mapped to HTTP in this one place and sent in
OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`, so OpenAI clients
show its one line: 400 a bad question or request, 401 no key, 403 another site, 404, 413 too
big, 415 a file type or upload docent does not take, 503 docent is not ready (nothing
ingested, no model: the message names the fix). Nothing answers 500: a failure no check
foresaw is one line (app/failures.py) with 502, and its traceback goes to the log only at
DEBUG."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.errors import DocentError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger("docent.server")

# 502, not 500: what OpenAI clients see for "the server could not answer this one"; 500 is
# kept for nothing so that a test can assert no door ever sends it
UNEXPECTED_STATUS = 502


class Refused(Exception):
    """A request refused with `status`, one line, and `code` naming the reason."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class BodyTooLarge(Refused):
    """A chunked body went past the cap (no Content-Length to refuse it up front)."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"request body over {cap} bytes", "request_too_large")


def error_body(message: str, code: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def described(exc: BaseException) -> tuple[int, str, str]:
    """(status, message, code) of any exception a route may raise: the one map."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from graphs.question import QuestionError

    match exc:
        case Refused():
            return exc.status, exc.message, exc.code
        case QuestionError():
            return 400, str(exc), "invalid_question"
        case RequestValidationError():
            return 400, _first_problem(exc.errors()), "invalid_request"
        case HTTPException():
            return exc.status_code, str(exc.detail), f"http_{exc.status_code}"
        case DocentError():
            return 503, str(exc), "not_ready"
        case _:
            from app.failures import describe_failure

            return UNEXPECTED_STATUS, describe_failure(exc), "unexpected_error"  # type: ignore[arg-type]


def _first_problem(errors: Any) -> str:
    """The first validation problem as "where: what" ("messages: Field required")."""
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "body"
    return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"


def error_payload(exc: BaseException) -> tuple[int, dict]:
    """The status and OpenAI-shaped body for `exc`; an unforeseen one is logged in a line."""
    status, message, code = described(exc)
    if status == UNEXPECTED_STATUS:
        log.error("%s", message)
        log.debug("the failure's traceback", exc_info=exc)
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return status, error_body(message, code, kind)


def error_response(exc: BaseException) -> JSONResponse:
    from fastapi.responses import JSONResponse

    status, body = error_payload(exc)
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Routes raise; these handlers answer (the last resort is app/server/security.py's)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return error_response(exc)

    for kind in (HTTPException, RequestValidationError, Refused, DocentError):
        app.add_exception_handler(kind, handle)
