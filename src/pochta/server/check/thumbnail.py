"""Thumbnails of image attachments: 180×120 JPEGs made with Pillow, bounded and cached.

As Mailpit: an image smaller than 180×120 is fitted inside it (never enlarged),
a larger one fills it and is cropped around its centre; either way it sits on
a white 180×120 canvas (transparency turns white) and is encoded as a JPEG at
quality 70. A part that is not an image, or cannot be decoded, gets the white
canvas alone.

A small compressed file can declare enormous dimensions (a decompression
bomb: Mailpit's GHSA-75mr-qw9x-3r39). The dimensions are read from the header
first, and an image of more than :data:`MAX_PIXELS` pixels is never decoded:
it gets the blank canvas. That bounds the memory (about 80 MB at most) and the
time of one thumbnail; at most :data:`CONCURRENT` are made at once, and the
last :data:`CACHED` are kept (a message never changes, so neither do they).
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image, ImageOps

__all__ = ["CACHED", "CONCURRENT", "MAX_PIXELS", "SIZE", "Thumbnails", "blank", "render"]

logger = logging.getLogger(__name__)

#: Width and height of every thumbnail.
SIZE = (180, 120)
#: Largest image (width × height) decoded; Mailpit's limit.
MAX_PIXELS = 20_000_000
#: Thumbnails made at the same time, at most.
CONCURRENT = 2
#: Thumbnails kept in memory (about 5 kB each).
CACHED = 512
_QUALITY = 70
_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "ICO")


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=_QUALITY)
    return out.getvalue()


def blank() -> bytes:
    """Return the white 180×120 JPEG given for what cannot be shown."""
    return _encode(Image.new("RGB", SIZE, "white"))


def render(data: bytes, content_type: str) -> bytes:
    """Return the thumbnail of an attachment's decoded bytes (the blank one if it is no image)."""
    if not content_type.lower().startswith("image/"):
        return blank()
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                logger.warning("thumbnail: a %d×%d image is too large to decode", width, height)
                return blank()
            image.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))  # JPEG: decode at a reduced scale
            return _encode(_placed(ImageOps.exif_transpose(image)))
    except Exception as error:  # Pillow raises many kinds for broken or hostile files
        logger.info("thumbnail: cannot decode the image (%s)", error)
        return blank()


def _placed(image: Image.Image) -> Image.Image:
    # Box-reduce a large image to about twice the thumbnail first: resampling the
    # whole of a 20-megapixel image with Lanczos would take seconds.
    factor = min(image.width // (SIZE[0] * 2), image.height // (SIZE[1] * 2))
    if factor >= 2:
        image = image.reduce(factor)
    picture = image.convert("RGBA")
    if picture.width < SIZE[0] or picture.height < SIZE[1]:
        picture.thumbnail(SIZE, Image.Resampling.LANCZOS)
    else:
        picture = ImageOps.fit(picture, SIZE, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", SIZE, "white")
    left, top = (SIZE[0] - picture.width) // 2, (SIZE[1] - picture.height) // 2
    canvas.paste(picture, (left, top), picture)
    return canvas


class Thumbnails:
    """Makes thumbnails a few at a time and keeps the last :data:`CACHED` of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(CONCURRENT)
        self._kept: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()

    def get(
        self, key: tuple[str, str], load: Callable[[], tuple[bytes, str, str]]
    ) -> tuple[bytes, str]:
        """Return the thumbnail for ``key`` (message id, part id) and the part's name.

        ``load`` returns the part's bytes, content type and name; it is called
        only when the thumbnail is not kept already.
        """
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        data, content_type, name = load()
        with self._slots:
            made = render(data, content_type), name
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > CACHED:
                self._kept.popitem(last=False)
        return made
