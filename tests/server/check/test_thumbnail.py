"""``GET /api/v1/message/{ID}/part/{PartID}/thumb`` in-process over a real store."""

from __future__ import annotations

import io
from email.message import EmailMessage

import httpx
import pytest
from PIL import Image

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio


def image_bytes(size: tuple[int, int], color: tuple[int, ...], mode: str = "RGB") -> bytes:
    """Return a PNG of one colour."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def store_with(store: Store, data: bytes, kind: str = "png") -> str:
    """Store a message with ``data`` attached as image/``kind``; return its id."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.com"
    message["Subject"] = "picture"
    message.set_content("see attached")
    message.add_attachment(data, "image", kind, filename="picture.png")
    return store.add(message.as_bytes(), Envelope("app@example.com", ("user@example.com",)))


async def thumb(client: httpx.AsyncClient, message_id: str, part: str = "2") -> Image.Image:
    """Fetch a thumbnail and open it."""
    answer = await client.get(f"/api/v1/message/{message_id}/part/{part}/thumb")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    return Image.open(io.BytesIO(answer.content))


async def test_a_large_image_fills_the_thumbnail(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    picture = await thumb(
        api_client, store_with(api_store, image_bytes((900, 300), (200, 30, 30)))
    )
    assert (picture.format, picture.size) == ("JPEG", (180, 120))
    red, green, blue = picture.getpixel((2, 2))  # type: ignore[misc]
    assert red > 150 and green < 80 and blue < 80


async def test_a_small_image_sits_on_white_and_transparency_turns_white(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    small = image_bytes((40, 20), (20, 20, 200, 255), "RGBA")
    picture = await thumb(api_client, store_with(api_store, small))
    assert picture.size == (180, 120)
    assert min(picture.getpixel((0, 0))) > 240  # type: ignore[arg-type]
    assert picture.getpixel((90, 60))[2] > 150  # type: ignore[index]
    clear = await thumb(
        api_client, store_with(api_store, image_bytes((400, 300), (0, 0, 0, 0), "RGBA"))
    )
    assert min(clear.getpixel((90, 60))) > 240  # type: ignore[arg-type]


async def test_what_is_no_image_gets_the_blank_thumbnail(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    broken = await thumb(api_client, store_with(api_store, b"\x89PNG\r\n\x1a\nbroken"))
    text = await thumb(api_client, store_with(api_store, b"hello"), part="1")
    assert broken.tobytes() == text.tobytes()
    assert min(broken.getpixel((90, 60))) > 240  # type: ignore[arg-type]


async def test_latest_works_and_unknown_parts_are_404(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    store_with(api_store, image_bytes((300, 300), (0, 200, 0)))
    assert (await thumb(api_client, "latest")).size == (180, 120)
    missing = await api_client.get("/api/v1/message/latest/part/9/thumb")
    assert missing.status_code == 404
    assert "has no part '9'" in missing.json()["Error"]
    hostile = await api_client.get("/api/v1/message/latest/part/..%2f..%2fetc/thumb")
    assert hostile.status_code == 404
