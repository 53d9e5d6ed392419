"""Every error as OpenAI's error object, so OpenAI clients show its message:
`{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import DocentError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse


class BodyTooLarge(Exception):
    """A chunked body went past the cap (no Content-Length to refuse it up front)."""


def error_body(message: str, code: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_response(status: int, message: str, code: str,
                   kind: str = "invalid_request_error") -> JSONResponse:
    from fastapi.responses import JSONResponse

    return JSONResponse(error_body(message, code, kind), status_code=status)


def unavailable(exc: DocentError) -> JSONResponse:
    """docent cannot answer yet (nothing ingested, no model): the message names the fix."""
    return error_response(503, str(exc), "not_ready", "server_error")


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, str(exc.detail), f"http_{exc.status_code}")

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if part != "body")
        return error_response(400, f"{where}: {first['msg']}", "invalid_request")

    async def too_large(request: Request, exc: Exception) -> JSONResponse:
        return error_response(413, str(exc), "request_too_large")

    async def not_ready(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DocentError)
        return unavailable(exc)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(DocentError, not_ready)
