"""A message's bytes as the SQLite store keeps them: zlib level 1 where that pays.

``message_raw.encoding`` is 0 (as received) or 1 (zlib). Messages of
:data:`COMPRESS_FROM` bytes or more are compressed when that saves at least
a tenth; see docs/store.md for the measurements behind each figure.
"""

from __future__ import annotations

import zlib

__all__ = ["COMPRESS_FROM", "pack", "unpack"]

COMPRESS_FROM = 1024  # bytes
# From this size on, a 16 KiB sample is compressed first, and the message is
# stored as is unless the sample shrinks to SAMPLE_RATIO: base64 of already
# compressed data (images, PDFs, zip) shrinks only to about 0.77 at a cost of
# about 25 ms per MB.
SAMPLE_FROM = 64 * 1024
SAMPLE_SIZE = 16 * 1024
SAMPLE_RATIO = 0.7


def pack(raw: bytes) -> tuple[int, bytes]:
    """Return (encoding, bytes) to store: zlib level 1 when that saves a tenth, else as is."""
    if len(raw) < COMPRESS_FROM:
        return 0, raw
    if len(raw) >= SAMPLE_FROM:
        middle = len(raw) // 2
        sample = raw[middle : middle + SAMPLE_SIZE]
        if len(zlib.compress(sample, 1)) > len(sample) * SAMPLE_RATIO:
            return 0, raw
    packed = zlib.compress(raw, 1)
    if len(packed) < len(raw) * 0.9:
        return 1, packed
    return 0, raw


def unpack(encoding: int, data: bytes, size: int = 0) -> bytes:
    """Return the bytes as received from a stored (encoding, data) pair.

    ``size``, the length as received when known, lets zlib inflate into one
    buffer of that size instead of growing pieces and joining them (twice the memory).
    """
    if encoding != 1:
        return data if type(data) is bytes else bytes(data)
    return zlib.decompress(data, bufsize=max(size, zlib.DEF_BUF_SIZE))
