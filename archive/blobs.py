"""Compression of what the archive keeps: raw bodies and version records.

Consecutive captures of one page are nearly identical (the same template, a changed view
counter, an edited paragraph), so a blob may be compressed against a *base*: an earlier
blob of the same page, used as a zstd raw-content dictionary.  A base is always a
self-contained blob (a keyframe), so reading a blob never takes more than two
decompressions.  A new keyframe is cut when the delta stops paying off.

    >>> base = "<html>魏都区人民政府 …</html>".encode() * 50
    >>> blob = compress(base + b"!", base=base)
    >>> decompress(blob, base=base) == base + b"!"
    True
"""

from __future__ import annotations

import functools

import zstandard

CODEC = "zstd"
LEVEL = 9
# A delta larger than this share of the blob's own compressed size is not worth the base.
DELTA_WORTH = 0.5
# Text and HTML compress to a fifth at best on their own: a delta under 5 % is taken without trying.
CLEARLY_SMALL = 0.05


@functools.lru_cache(maxsize=1)
def _plain_compressor() -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=LEVEL)


@functools.lru_cache(maxsize=1)
def _plain_decompressor() -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor()


# Successive captures of a page share their base: keep the last few primed (de)compressors.
@functools.lru_cache(maxsize=8)
def _delta_compressor(base: bytes) -> zstandard.ZstdCompressor:
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary)


@functools.lru_cache(maxsize=8)
def _delta_decompressor(base: bytes) -> zstandard.ZstdDecompressor:
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary)


def compress(data: bytes, base: bytes | None = None) -> bytes:
    if base is None:
        return _plain_compressor().compress(data)
    return _delta_compressor(base).compress(data)


class TooLarge(ValueError):
    """A blob that would decompress to more than the caller's ``max_output_size``."""


def decompress(blob: bytes, base: bytes | None = None, max_output_size: int | None = None) -> bytes:
    """The data of `blob`.  With ``max_output_size``, a blob that would decompress to more
    raises `TooLarge` (or `zstandard.ZstdError`) before the memory is allocated: a frame
    that states its size is checked against it, one that does not is cut off there."""
    decompressor = _plain_decompressor() if base is None else _delta_decompressor(base)
    if max_output_size is None:
        return decompressor.decompress(blob)
    size = zstandard.frame_content_size(blob)  # -1: not stated
    if size > max_output_size:
        raise TooLarge(f"a blob of {len(blob):,} bytes states {size:,} bytes of data (at most {max_output_size:,})")
    return decompressor.decompress(blob, max_output_size=max_output_size)


def compress_against(data: bytes, base: bytes | None) -> tuple[bytes, bool]:
    """The smaller of a delta against `base` and a keyframe: (blob, used_base)."""
    if base is None or len(base) < 64:
        return compress(data), False
    delta = compress(data, base)
    if len(delta) <= CLEARLY_SMALL * len(data):  # no keyframe could beat it by much
        return delta, True
    keyframe = compress(data)
    if len(delta) <= DELTA_WORTH * len(keyframe):
        return delta, True
    return keyframe, False
