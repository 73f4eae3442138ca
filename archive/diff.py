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
"""

from __future__ import annotations

import difflib
import json

from pipelines.segment import segment

FIELDS = ("title", "published_at", "source", "author", "editor", "channel", "attachments")
# Below this likeness a replaced paragraph reads better as removed + added than as an edit.
EDIT_LIKENESS = 0.5


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


def text_diff(old: str, new: str) -> str:
    before, after = old.splitlines(), new.splitlines()
    lines = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        removed, added = before[i1:i2], after[j1:j2]
        if op == "replace":
            # Pair edited paragraphs in order; what is left over was removed or added.
            while removed and added and _likeness(removed[0], added[0]) >= EDIT_LIKENESS:
                lines.append("~ " + paragraph_diff(removed.pop(0), added.pop(0)))
        lines += ["- " + p for p in removed] + ["+ " + p for p in added]
    return "\n".join(lines)


def _likeness(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def paragraph_diff(old: str, new: str) -> str:
    """One paragraph's edit, word by word: kept words plain, [-removed-] and {+added+}."""
    before, after = segment(old), segment(new)
    out = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append("".join(before[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(before[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(after[j1:j2]) + "+}")
    return "".join(out)
