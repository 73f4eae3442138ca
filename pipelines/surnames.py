"""Chinese surnames (pipelines/data/surnames.txt) and what looks like a person's name.

enrich uses the surnames to tell a name after an office (区长李朝锋) from the words that follow
offices (区长主持); extract uses them to tell a bare name closing an article (（张巨峰）) from a
place, an organization or a note in parentheses (（上海）, （区委办）, （全文完）).
"""

from __future__ import annotations

import importlib.resources
import re
from functools import lru_cache

from pipelines.region import division_names

DATA = importlib.resources.files("pipelines") / "data"
# The last character of places, organizations and notes, never of a given name as a byline writes it.
NOT_A_GIVEN_NAME_END = re.compile(
    r"[省市县区镇乡村州盟旗街路号局委办厅部院所站队社会报台网组室处科园校馆司团厂店完续图摄文稿讯电]$"
)


@lru_cache(maxsize=1)
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """The single-character and the two-character surnames."""
    words = [
        w
        for line in (DATA / "surnames.txt").read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for w in line.split()
    ]
    return frozenset(w for w in words if len(w) == 1), frozenset(w for w in words if len(w) == 2)


def looks_like_a_name(text: str) -> bool:
    """2–4 Han characters that start with a surname and do not end as a place, an organization or
    a note does: 张巨峰, 欧阳明 — not 武汉, 上海, 区委办, 全文完, 二〇二四年."""
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", text) or NOT_A_GIVEN_NAME_END.search(text):
        return False
    if any(text + suffix in division_names() for suffix in "省市县区"):
        return False  # 武汉, 江西, 丰台: a division named without its suffix
    single, double = surnames()
    return text[:2] in double if len(text) >= 3 and text[:2] in double else text[0] in single
