"""Cells of the govnews Datasette plugin: a ``versions.diff`` shown line by line, a compressed
version record decoded to its JSON and shown folded."""

from __future__ import annotations

import json
import re

from markupsafe import Markup, escape

from archive import blobs
from archive.rows import decode_record_blob

# A ``~`` line of a diff (archive/diff.py): ``[-removed-]``, ``{+added+}``, and text of the page
# that holds a marker itself escaped with a backslash (``\\`` + a character is that character).
_SPAN = r"((?:\\.|[^\\])*?)"
EDIT_MARK = re.compile(r"\[-" + _SPAN + r"-\]|\{\+" + _SPAN + r"\+\}|\\(.)", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
# A record is at most a few MB of JSON: a compressed record that would decode larger is refused.
MAX_RECORD_SIZE = 16 * 1024 * 1024


def decode_record(blob, base=None) -> str | None:
    """JSON text of a compressed version record; ``base`` is its base version's compressed
    record when it was compressed against one.  NULL for anything that is not a record."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return None
    try:
        base_json = blobs.decompress(bytes(base), max_output_size=MAX_RECORD_SIZE) if base is not None else None
        record = decode_record_blob(bytes(blob), base_json, max_size=MAX_RECORD_SIZE)
    except Exception:  # a delta read without its base, or not a record at all
        return None
    return json.dumps(record, ensure_ascii=False)


def render_diff(diff: str) -> Markup:
    """A versions.diff as HTML: a block a line, removed text in <del>, added text in <ins>."""
    blocks = []
    for line in diff.split("\n"):  # "\n" only: a paragraph may hold \x85, \u2028 …
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


def edit_spans(paragraph: str) -> list[tuple[str, str]]:
    """A ``~`` line as (kind, text) spans, kind "=" kept, "-" removed, "+" added, escapes undone."""
    spans: list[tuple[str, str]] = []

    def add(kind: str, text: str) -> None:
        if spans and spans[-1][0] == kind == "=":
            spans[-1] = ("=", spans[-1][1] + text)
        elif text or kind != "=":
            spans.append((kind, text))

    position = 0
    for mark in EDIT_MARK.finditer(paragraph):
        add("=", paragraph[position : mark.start()])
        removed, added, escaped = mark.groups()
        if escaped is not None:
            add("=", escaped)
        elif removed is not None:
            add("-", _UNESCAPE.sub(r"\1", removed))
        else:
            add("+", _UNESCAPE.sub(r"\1", added))
        position = mark.end()
    add("=", paragraph[position:])
    return spans


def _inline_edits(paragraph: str) -> Markup:
    tags = {"-": Markup("<del>{}</del>"), "+": Markup("<ins>{}</ins>")}
    return Markup("").join(
        tags[kind].format(text) if kind in tags else escape(text) for kind, text in edit_spans(paragraph)
    )


def render_record(record_json: str | None, size: int) -> Markup:
    if record_json is None:
        return Markup('<span class="govnews-record">record ({:,} bytes, compressed)</span>').format(size)
    pretty = json.dumps(json.loads(record_json), ensure_ascii=False, indent=1)
    return Markup(
        '<details class="govnews-record"><summary>record ({:,} chars)</summary><pre>{}</pre></details>'
    ).format(len(record_json), pretty)
