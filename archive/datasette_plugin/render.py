"""Cells of the govnews Datasette plugin: a ``versions.diff`` shown line by line, a compressed
version record decoded to its JSON and shown folded."""

from __future__ import annotations

import json
import re

from markupsafe import Markup, escape

from archive import blobs
from archive.rows import decode_record_blob

EDIT_MARK = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)


def decode_record(blob, base=None) -> str | None:
    """JSON text of a compressed version record; ``base`` is its base version's compressed
    record when it was compressed against one.  NULL for anything that is not a record."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return None
    try:
        base_json = blobs.decompress(bytes(base)) if base is not None else None
        record = decode_record_blob(bytes(blob), base_json)
    except Exception:  # a delta read without its base, or not a record at all
        return None
    return json.dumps(record, ensure_ascii=False)


def render_diff(diff: str) -> Markup:
    """A versions.diff as HTML: a block a line, removed text in <del>, added text in <ins>."""
    blocks = []
    for line in diff.splitlines():
        sign, rest = line[:2], line[2:]
        if sign == "- ":
            blocks.append(
                Markup('<div class="diff-removed"><span class="diff-sign">−</span><del>{}</del></div>').format(rest)
            )
        elif sign == "+ ":
            blocks.append(
                Markup('<div class="diff-added"><span class="diff-sign">+</span><ins>{}</ins></div>').format(rest)
            )
        elif sign == "~ ":
            blocks.append(
                Markup('<div class="diff-edited"><span class="diff-sign">~</span>{}</div>').format(_inline_edits(rest))
            )
        elif sign == "@ " and ": " in rest:
            field, change = rest.split(": ", 1)
            if " → " in change:
                old, new = change.split(" → ", 1)
                body = Markup("<b>{}</b>: <del>{}</del> → <ins>{}</ins>").format(field, old, new)
            else:
                body = Markup("<b>{}</b>: {}").format(field, change)
            blocks.append(Markup('<div class="diff-field">{}</div>').format(body))
        elif line.strip():
            blocks.append(Markup("<div>{}</div>").format(line))
    return Markup('<div class="govnews-diff">{}</div>').format(Markup("").join(blocks))


def _inline_edits(paragraph: str) -> Markup:
    out, position = [], 0
    for mark in EDIT_MARK.finditer(paragraph):
        out.append(escape(paragraph[position : mark.start()]))
        removed, added = mark.groups()
        out.append(
            Markup("<del>{}</del>").format(removed) if removed is not None else Markup("<ins>{}</ins>").format(added)
        )
        position = mark.end()
    out.append(escape(paragraph[position:]))
    return Markup("").join(out)


def render_record(record_json: str | None, size: int) -> Markup:
    if record_json is None:
        return Markup('<span class="govnews-record">record ({:,} bytes, compressed)</span>').format(size)
    pretty = json.dumps(json.loads(record_json), ensure_ascii=False, indent=1)
    return Markup(
        '<details class="govnews-record"><summary>record ({:,} chars)</summary><pre>{}</pre></details>'
    ).format(len(record_json), pretty)
