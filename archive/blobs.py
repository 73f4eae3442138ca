"""Compression of what the archive keeps: raw bodies and version records.

Consecutive captures of one page are nearly identical (the same template, a changed view
counter, an edited paragraph), so a blob may be compressed against a *base*: an earlier
blob of the same page, used as a zstd raw-content dictionary.  A base is always a
self-contained blob (a keyframe), so reading a blob never takes more than two
decompressions.  A new keyframe is cut when the delta stops paying off.

A keyframe may be compressed with a *dictionary* trained on earlier pages of its site
(archive/dictionaries.py): pages of one site share their template, which the dictionary
holds, so a keyframe costs little more than its article.  A dictionary is stored in the
archive and never changed; the blob's row names it.

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
# With a trained dictionary, zstd's fast levels come within a tenth of level 9's size at a
# fifth of its time: the single writer of an archive pays for every blob.
DICTIONARY_LEVEL = 3
# A version's record is written once and read rarely: level 9 saved 4 % of its bytes over level 3
# at 2.6 times the time (3,350 against 3,473 bytes, 0.26 against 0.10 ms, generated records of
# benchmarks/archive_scale.py), and the single writer pays for every record.
RECORD_LEVEL = 3
# zstd's COVER trainer with k and d fixed: trying its parameter grid (k=0, d=0) took four times
# as long for a site, and its dictionary compressed held-out pages of the site 6 % worse
# (4,557 against 4,305 bytes a page; benchmarks/archive_scale.py's pages, texts not trained on).
TRAIN_PARAMETERS = {"k": 1024, "d": 8}
# The first four bytes of a trained zstd dictionary (a compressed frame begins 28 b5 2f fd).
DICTIONARY_MAGIC = b"\x37\xa4\x30\xec"


@functools.lru_cache(maxsize=2)
def _plain_compressor(level: int) -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=level)


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


# A dictionary is a few tens of KB and an archive has one a site: keep the ones in use primed.
@functools.lru_cache(maxsize=128)
def _dictionary_compressor(dictionary: bytes) -> zstandard.ZstdCompressor:
    trained = zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_FULLDICT)
    trained.precompute_compress(level=DICTIONARY_LEVEL)
    return zstandard.ZstdCompressor(level=DICTIONARY_LEVEL, dict_data=trained)


@functools.lru_cache(maxsize=128)
def _dictionary_decompressor(dictionary: bytes) -> zstandard.ZstdDecompressor:
    trained = zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_FULLDICT)
    return zstandard.ZstdDecompressor(dict_data=trained)


def compress(data: bytes, base: bytes | None = None, dictionary: bytes | None = None, level: int = LEVEL) -> bytes:
    """`data` compressed on its own (at `level`), against `base` (raw content), or with a
    trained `dictionary`."""
    if base is not None:
        return _delta_compressor(base).compress(data)
    if dictionary is not None:
        return _dictionary_compressor(dictionary).compress(data)
    return _plain_compressor(level).compress(data)


def train(samples: list[bytes], size: int) -> bytes | None:
    """A zstd dictionary of at most `size` bytes trained on `samples`, or None when zstd
    finds nothing to learn (too few or too uniform samples)."""
    try:
        trained = zstandard.train_dictionary(size, list[bytes | bytearray | memoryview](samples), **TRAIN_PARAMETERS)
        return trained.as_bytes()
    except zstandard.ZstdError:
        return None


def is_dictionary(data: bytes) -> bool:
    return data[:4] == DICTIONARY_MAGIC


class TooLarge(ValueError):
    """A blob that would decompress to more than the caller's ``max_output_size``."""


def decompress(
    blob: bytes, base: bytes | None = None, max_output_size: int | None = None, dictionary: bytes | None = None
) -> bytes:
    """The data of `blob` (compressed against `base`, with `dictionary`, or alone).  With
    ``max_output_size``, a blob that would decompress to more raises `TooLarge` (or
    `zstandard.ZstdError`) before the memory is allocated: a frame that states its size is
    checked against it, one that does not is cut off there."""
    if base is not None:
        decompressor = _delta_decompressor(base)
    elif dictionary is not None:
        decompressor = _dictionary_decompressor(dictionary)
    else:
        decompressor = _plain_decompressor()
    if max_output_size is None:
        return decompressor.decompress(blob)
    size = zstandard.frame_content_size(blob)  # -1: not stated
    if size > max_output_size:
        raise TooLarge(f"a blob of {len(blob):,} bytes states {size:,} bytes of data (at most {max_output_size:,})")
    return decompressor.decompress(blob, max_output_size=max_output_size)


def compress_against(
    data: bytes, base: bytes | None, dictionary: bytes | None = None, level: int = LEVEL
) -> tuple[bytes, bool]:
    """The smaller of a delta against `base` and a keyframe (with `dictionary` when given, else
    at `level`): (blob, used_base)."""
    if base is None or len(base) < 64:
        return compress(data, dictionary=dictionary, level=level), False
    delta = compress(data, base)
    if len(delta) <= CLEARLY_SMALL * len(data):  # no keyframe could beat it by much
        return delta, True
    keyframe = compress(data, dictionary=dictionary, level=level)
    if len(delta) <= DELTA_WORTH * len(keyframe):
        return delta, True
    return keyframe, False
