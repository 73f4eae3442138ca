"""What changed between two versions of a page, as readable text.

Paragraphs are matched first (a page's text keeps one paragraph a line); a paragraph
that was edited rather than added or removed is compared word by word, the words cut
by jieba, so an edit shows whole words (区委书记 → 区委副书记), never half a word.

One line a change:

- ``@ title: 旧标题 → 新标题``   a changed field (title, published_at, source, …)
- ``- 段落``                    a removed paragraph
- ``+ 段落``                    an added paragraph
- ``~ 他要求[-尽快-]{+倒排工期、挂图作战+}。``  an edited paragraph

    >>> print(text_diff("甲段。\\n区委书记讲话。", "甲段。\\n区委副书记讲话。\\n新增一段。"))
    ~ [-区委书记-]{+区委副书记+}讲话。
    + 新增一段。

**Markers in the text.**  Inside a ``~`` line, page text that itself contains a marker is
escaped with a backslash, so it cannot be read as an edit: a backslash goes before the
``[`` of ``[-``, the ``]`` of ``-]``, the ``{`` of ``{+`` and the ``}`` of ``+}``, and a
backslash of the text is doubled (``a[-b-]\\c`` is written ``a\\[-b-\\]\\\\c``).  Reading
a ``~`` line: ``\\`` + any character is that character; an unescaped ``[-…-]`` is removed
text, ``{+…+}`` added text (:func:`unescape` and the Datasette renderer, which undo it).
``-``, ``+`` and ``@`` lines are the text as it is.

**Bounded work.**  The diff runs in the crawl's archive stage, so its cost is capped rather
than quadratic in a long paragraph:

- two paragraphs are compared character by character (to tell an edit from a removal plus
  an addition) only while the product of their lengths is at most `LIKENESS_CAP`; past it,
  :meth:`difflib.SequenceMatcher.quick_ratio` (linear, an upper bound) decides;
- an edited paragraph is diffed word by word only while the product of the two paragraphs'
  word counts is at most `WORD_DIFF_CAP`.  Past it the words both versions start and end
  with are kept and the middle is word-diffed if *it* is under the cap, else shown as one
  removed span and one added span: ``~ 开头[-旧的中间-]{+新的中间+}结尾`` (coarser, still exact);
- paragraphs are matched line by line the same way: over `WORD_DIFF_CAP` lines² the lines both
  texts start and end with are taken as equal first, and a middle still over the cap is
  shown as its lines removed and added.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence

from pipelines.segment import segment

FIELDS = ("title", "published_at", "source", "author", "editor", "channel", "attachments")
# Below this likeness a replaced paragraph reads better as removed + added than as an edit.
EDIT_LIKENESS = 0.5
# Work caps (see the module docstring): characters² for likeness, words² (or lines²) for a diff.
LIKENESS_CAP = 4_000_000
WORD_DIFF_CAP = 250_000
# What is escaped in a ``~`` line: a backslash, and the bracket of each marker.
_ESCAPE = re.compile(r"\\|\[(?=-)|(?<=-)\]|\{(?=\+)|(?<=\+)\}")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def record_diff(old: dict | None, new: dict) -> str | None:
    """The diff of two records (dicts of Record fields); None for a page's first version."""
    if old is None:
        return None
    lines = []
    for name in FIELDS:
        before, after = old.get(name), new.get(name)
        if before != after:
            lines.append(f"@ {name}: {_show(before)} → {_show(after)}")
    body = text_diff(old.get("text") or "", new.get("text") or "")
    if body:
        lines.append(body)
    return "\n".join(lines)


def _show(value) -> str:
    if value is None or value == [] or value == "":
        return "∅"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def escape(text: str) -> str:
    """Text for a ``~`` line: no marker of its own can be read as an edit."""
    return _ESCAPE.sub(lambda m: "\\" + m.group(0), text)


def unescape(text: str) -> str:
    """The text an escaped span of a ``~`` line stands for."""
    return _UNESCAPE.sub(r"\1", text)


def text_diff(old: str, new: str) -> str:
    # A paragraph a line: split at "\n" only (str.splitlines would also cut at \x85, \u2028 …).
    before, after = _paragraphs(old), _paragraphs(new)
    lines = []
    for op, i1, i2, j1, j2 in _opcodes(before, after):
        if op == "equal":
            continue
        removed, added = before[i1:i2], after[j1:j2]
        if op == "replace":
            # Pair edited paragraphs in order; what is left over was removed or added.
            while removed and added and _likeness(removed[0], added[0]) >= EDIT_LIKENESS:
                lines.append("~ " + paragraph_diff(removed.pop(0), added.pop(0)))
        lines += ["- " + p for p in removed] + ["+ " + p for p in added]
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _opcodes(a: list, b: list) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib's opcodes while len(a) × len(b) is within `WORD_DIFF_CAP`; past it the common
    head and tail are equal and the middle is diffed if small enough, else replaced whole."""
    if len(a) * len(b) <= WORD_DIFF_CAP:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a_end, b_end = len(a) - tail, len(b) - tail
    ops: list[tuple[str, int, int, int, int]] = [("equal", 0, head, 0, head)] if head else []
    middle_a, middle_b = a[head:a_end], b[head:b_end]
    if len(middle_a) * len(middle_b) <= WORD_DIFF_CAP:
        matcher = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False)
        ops += [(op, i1 + head, i2 + head, j1 + head, j2 + head) for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    elif middle_a and middle_b:
        ops.append(("replace", head, a_end, head, b_end))
    elif middle_a:
        ops.append(("delete", head, a_end, head, head))
    elif middle_b:
        ops.append(("insert", head, head, head, b_end))
    if tail:
        ops.append(("equal", a_end, len(a), b_end, len(b)))
    return ops


def _likeness(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if len(a) * len(b) <= LIKENESS_CAP else matcher.quick_ratio()


def paragraph_diff(old: str, new: str) -> str:
    """One paragraph's edit, word by word: kept words plain, [-removed-] and {+added+}
    (each escaped, see the module docstring)."""
    before, after = segment(old), segment(new)
    out = []
    for op, i1, i2, j1, j2 in _opcodes(before, after):
        if op == "equal":
            out.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            out.append("[-" + escape("".join(before[i1:i2])) + "-]")
        if j2 > j1:
            out.append("{+" + escape("".join(after[j1:j2])) + "+}")
    return "".join(out)
