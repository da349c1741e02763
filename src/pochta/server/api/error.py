"""One error shape for every HTTP answer, and the handlers that give it.

Every error the API answers has one shape, Mailpit's ``JSONErrorMessage``
(``{"Error": "what went wrong and how to fix it"}``), with the status that
says who must act:

=====================================  ======
unknown message or part id             404
bad parameter, body or search          400
request body over the cap              413
disk full                              507
store unavailable or broken            503
anything unexpected (logged)           500
=====================================  ======
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from pochta.exceptions import (
    BadHeaderError,
    ConfigurationError,
    MessageNotFound,
    PochtaError,
    QueryError,
    StoreError,
    StoreFullError,
)

__all__ = ["error_response", "install_error_handlers"]

logger = logging.getLogger(__name__)


def error_response(status: int, text: str) -> JSONResponse:
    """Return the API's one error shape with ``status``."""
    return JSONResponse({"Error": text}, status_code=status)


def _status_of(error: PochtaError) -> int:
    if isinstance(error, MessageNotFound):
        return 404
    if isinstance(error, (QueryError, ConfigurationError, BadHeaderError)):
        return 400
    if isinstance(error, StoreFullError):
        return 507
    if isinstance(error, StoreError):
        return 503
    return 500


async def _pochta_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PochtaError)
    status = _status_of(error)
    if status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, error)
    return error_response(status, str(error))


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors():
        location = item.get("loc", ())
        where = ".".join(str(x) for x in location if x != "body") or "body"
        problem = f"{where}: {item.get('msg', 'invalid')}"
        if location[:1] in (("query",), ("path",)) and isinstance(item.get("input"), str):
            problem += f" (got {item['input'][:40]!r})"  # name the value, as every error does
        problems.append(problem)
    return error_response(400, "; ".join(problems) or "invalid request")


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return error_response(error.status_code, str(error.detail))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, "internal error; the server log says more")


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every error with ``{"Error": ...}`` and the right status."""
    app.add_exception_handler(PochtaError, _pochta_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
