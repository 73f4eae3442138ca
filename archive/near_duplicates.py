"""Finding a page's near-duplicates (syndicated copies) without comparing it with every page.

Two 64-bit SimHashes at most ``DISTANCE`` bits apart differ in at most 7 of the nine blocks
the 64 bits are cut into, so they agree on at least two blocks: on one of the 36 block
*pairs*.  Each page is indexed under its 36 pair keys (pair number and the pair's bits, at
most 16 bits), and a new page is compared only with pages sharing a key: about
36 × pages / 2¹⁵ candidates, where single 8-bit bands would give 8 × pages / 2⁸.

    >>> len(pair_keys(0x0123456789ABCDEF))
    36
    >>> a, b = 0x0123456789ABCDEF, 0x0123456789ABCDEF ^ 0b1010101
    >>> bool(set(pair_keys(a)) & set(pair_keys(b)))
    True
"""

from __future__ import annotations

from itertools import combinations

# Measured on the labeled corpus and the demo sites (55 articles): different articles are 14 or
# more bits apart, a syndicated copy (a source line added, a paragraph dropped, punctuation
# changed) 0–8 bits from its original, mostly ≤ 7.
DISTANCE = 7
BLOCK_WIDTHS = (8, 8, 7, 7, 7, 7, 7, 7, 6)
assert sum(BLOCK_WIDTHS) == 64 and len(BLOCK_WIDTHS) - DISTANCE >= 2
_SHIFTS = [sum(BLOCK_WIDTHS[:i]) for i in range(len(BLOCK_WIDTHS))]
PAIRS = list(combinations(range(len(BLOCK_WIDTHS)), 2))


def blocks(value: int) -> list[int]:
    return [(value >> shift) & ((1 << width) - 1) for shift, width in zip(_SHIFTS, BLOCK_WIDTHS)]


def pair_keys(value: int) -> list[int]:
    parts = blocks(value)
    return [(n << 16) | (parts[i] << BLOCK_WIDTHS[j]) | parts[j] for n, (i, j) in enumerate(PAIRS)]


def distance(a: int, b: int) -> int:
    """Bits that differ; either hash may be given as stored (signed)."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def signed(value: int) -> int:
    """A 64-bit hash as SQLite stores integers (signed)."""
    return value - (1 << 64) if value >= 1 << 63 else value
