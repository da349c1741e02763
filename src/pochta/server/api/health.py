"""``/livez`` and ``/readyz``: the health probes of Kubernetes, Docker and Mailpit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from pochta.exceptions import StoreError
from pochta.server.api.dependency import get_store
from pochta.server.api.error import error_response

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/livez", response_class=PlainTextResponse, summary="Liveness probe")
async def livez() -> str:
    """Answer ``ok`` while the process runs."""
    return "ok"


@router.get("/readyz", response_class=PlainTextResponse, summary="Readiness probe")
async def readyz(request: Request) -> Any:
    """Answer ``ok`` when the store answers a count, else 503."""
    store = get_store(request)
    try:
        await run_in_threadpool(store.count)
    except StoreError as error:
        return error_response(503, f"store not ready: {error}")
    return "ok"
