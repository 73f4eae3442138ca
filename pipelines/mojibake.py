"""Mojibake detection and repair (used by `pipelines.normalize`).

Three kinds of damage are handled, all by re-running the byte mechanism that
caused them, never by a table of known bad strings:

1. **Whole-run encoding confusion**: UTF-8 bytes read as GBK (``鏀垮簻`` →
   ``政府``), UTF-8 read as latin-1/cp1252 (``æ”¿åºœ`` → ``政府``) and GBK read as
   latin-1 (``Õþ¸®`` → ``政府``).  A suspicious run is re-encoded with the
   wrong codec and decoded with the right one; the result replaces the run only
   when it decodes strictly and is more plausible Chinese (see `plausibility`).

2. **Lost-byte GBK shift** (the "pinyin pages", e.g. ``挑重?fù)?dān)子``).  The
   page was GBK Traditional text with ``(pīnyīn)`` readings after some
   characters.  Somewhere one byte of a two-byte character was lost, so the
   decoder paired the *trail* byte of a character with the *lead* byte of the
   next one, and so on, until an ASCII byte let it re-synchronise:

   * a high byte followed by ASCII ``(`` cannot pair, so it shows as ``?`` and
     the ``(`` is eaten: ``擔(dān)`` → ``?dān)`` (93 FA 28 … → ``?`` + ``dān)``);
   * re-paired bytes show as unrelated characters (``對接”上下功夫`` shifted by
     one byte → ``印鄙舷鹿Ψ``) or vanish when the pair is unassigned in GBK
     (A6 BD, FA AE, F9 B5 …);
   * a pair that lands on a full-width form was folded to ASCII by the page
     (A3 A1 ``！`` → ``!``, A3 ED ``ｍ`` → ``m``, A3 BB ``；`` → ``;``);
   * an ASCII trail byte that ends up alone shows as itself (``揚`` = 93 50 →
     ``P``; ``礎`` = B5 41 → ``A`` followed by its own reading ``(chǔ)``);
   * a lone lead byte is often followed by a stray reading without ``(``
     (``?qū)``, ``?fù)``, ``?lián)``): that reading belongs to a character whose
     trail byte *is* the lost lead byte (驅 = 97 8C → lost 8C; 負 = 85 93 →
     lost 93), which narrows the lost byte down.

   Repair re-encodes the damaged run as GBK, puts the lost lead byte back in
   front (unknown: a slot), shifts the pairing back by one byte and decodes
   again.  Bytes that are gone (the lost lead, a byte eaten with ``(``, an
   unassigned pair) become *slots* constrained by the bytes that remain, by the
   reading in a following ``(pīnyīn)`` and by the stray reading; the slots are
   filled with the most plausible characters by a Viterbi search scored with
   jieba's dictionary (character frequency plus a bonus for two-character
   words).  A repair is kept only when every known byte decodes cleanly and the
   result scores clearly better than the damaged text; otherwise the span is
   reported as suspected.

3. **Unrepairable damage**: U+FFFD, ``?`` between Han characters that no
   mechanism explains, left-over latin-1 runs; returned as suspected spans.

A ``?`` between a name and a following byline label (``李明月?审核人:``) is a
non-breaking space the page's GBK encoder could not write; it becomes a space.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from pipelines.chinese import to_simplified
from pipelines.segment import jieba_dir  # jieba's dictionary file, without importing jieba

# ---------------------------------------------------------------------------
# lexicon (jieba's dictionary), loaded once per process, lazily
# ---------------------------------------------------------------------------

_LEX: dict | None = None

PUNCT = set("，。、；：？！“”‘’（）《》【】—…·,.;:?!()\"'")
_PUNCT_FREQ = 2_000_000  # prior for punctuation, which jieba's dictionary lacks


def _lexicon() -> dict:
    global _LEX
    if _LEX is None:
        path = str(jieba_dir() / "dict.txt")
        chars: dict[str, int] = {}
        words: dict[str, int] = {}
        total = 0
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ")
                word = parts[0]
                if len(word) > 2:
                    continue
                freq = int(parts[1])
                total += freq
                if len(word) == 1:
                    chars[word] = chars.get(word, 0) + freq
                else:
                    words[word] = freq
                    for ch in word:  # characters that only occur inside words
                        chars.setdefault(ch, 1)
        by_last: dict[str, list[str]] = {}
        for w in words:
            by_last.setdefault(w[1], []).append(w)
        _LEX = {"chars": chars, "words": words, "total": total, "by_last": by_last}
    return _LEX


def _simp_char(ch: str) -> str:
    return to_simplified(ch) if len(ch) == 1 else ch


@lru_cache(maxsize=65536)
def char_logp(ch: str) -> float:
    """log-probability of one character (after Simplification)."""
    lex = _lexicon()
    if ch in PUNCT:
        return math.log(_PUNCT_FREQ / lex["total"])
    s = _simp_char(ch)
    f = lex["chars"].get(s)
    if f:
        return math.log(f / lex["total"])
    if "\u4e00" <= ch <= "\u9fff":
        return -19.0
    return -22.0  # Greek, box drawing, Latin in Han context …


@lru_cache(maxsize=65536)
def pair_bonus(a: str, b: str) -> float:
    """Bonus when a+b is a dictionary word."""
    f = _lexicon()["words"].get(_simp_char(a) + _simp_char(b))
    return 2.0 * math.log1p(f) if f else 0.0


def plausibility(text: str) -> float:
    """Mean per-character score of Han text: higher is more plausible Chinese."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    score = sum(char_logp(c) for c in chars)
    score += sum(pair_bonus(a, b) for a, b in zip(chars, chars[1:]))
    return score / len(chars)


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


# ---------------------------------------------------------------------------
# the GBK table
# ---------------------------------------------------------------------------

_GBK: dict | None = None


def _gbk() -> dict:
    """Every assigned GBK two-byte character, indexed every way the repair needs."""
    global _GBK
    if _GBK is None:
        from pypinyin import pinyin_dict

        readings = pinyin_dict.pinyin_dict
        pairs: dict[tuple[int, int], str] = {}
        for lead in range(0x81, 0xFF):
            for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFF)):
                try:
                    ch = bytes((lead, trail)).decode("gbk")
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1:
                    pairs[(lead, trail)] = ch
        by_trail: dict[int, list[str]] = {}
        by_lead: dict[int, list[str]] = {}
        by_reading: dict[str, list[str]] = {}
        code: dict[str, tuple[int, int]] = {}
        for (lead, trail), ch in pairs.items():
            by_trail.setdefault(trail, []).append(ch)
            by_lead.setdefault(lead, []).append(ch)
            code[ch] = (lead, trail)
            for r in readings.get(ord(ch), "").split(","):
                if r:
                    by_reading.setdefault(r, []).append(ch)
                    by_reading.setdefault(_strip_tone(r), []).append(ch)
        # Simplified form of every GBK character, for dictionary look-ups.
        chars = list(code)
        simp = to_simplified("\n".join(chars)).split("\n")
        by_simp: dict[str, list[str]] = {}
        for ch, s in zip(chars, simp):
            by_simp.setdefault(s if len(s) == 1 else ch, []).append(ch)
        _GBK = {
            "pairs": pairs,
            "by_trail": by_trail,
            "by_lead": by_lead,
            "by_reading": by_reading,
            "code": code,
            "by_simp": by_simp,
        }
    return _GBK


_TONE = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ",
    "aaaaeeeeiiiioooouuuuvvvvvnnnm",
)


def _strip_tone(s: str) -> str:
    return s.lower().translate(_TONE)


def _trail_set_for_reading(reading: str) -> frozenset[int]:
    """Trail bytes of the characters read `reading` (the stray-reading clue)."""
    g = _gbk()
    return frozenset(g["code"][c][1] for c in g["by_reading"].get(reading, ()))


def _readings_of(ch: str) -> set[str]:
    from pypinyin import pinyin_dict

    out = set()
    for r in pinyin_dict.pinyin_dict.get(ord(ch), "").split(","):
        if r:
            out.add(r)
            out.add(_strip_tone(r))
    return out


# ---------------------------------------------------------------------------
# lost-byte GBK shift repair
# ---------------------------------------------------------------------------

PINYIN_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_STRAY = re.compile(r"\?([" + PINYIN_LETTERS + r"]{1,7})\)")
_RAW_ANNOT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\(([" + PINYIN_LETTERS + r"]{1,7})\)")
_MAX_UNITS = 14
_VANISH_PENALTY = 3.0
_ACCEPT_MARGIN = 4.0


class _Slot:
    """One original character: known or unknown lead/trail byte, optional reading."""

    __slots__ = ("lead", "trail", "lead_set", "reading", "guess_comma")

    def __init__(self, lead=None, lead_set=None):
        self.lead = lead
        self.lead_set = lead_set
        self.trail = None
        self.reading = None
        self.guess_comma = False


def _fullwidth_bytes(ch: str) -> bytes | None:
    if "!" <= ch <= "~":
        try:
            b = chr(ord(ch) + 0xFEE0).encode("gbk")
        except UnicodeEncodeError:
            return None
        return b if len(b) == 2 else None
    return None


def _parse(text: str, pos: int, lead_set, limit: int):
    """Parse forward from `pos` with a pending unknown lead byte.

    Yields (slots, end) for every way the run can re-synchronise: a list of
    _Slot (the first one's lead unknown) and the index where the damage ends.
    """
    results = []

    def walk(i, slots, units):
        cur = slots[-1]
        if units > _MAX_UNITS or i >= limit:
            return
        ch = text[i]
        if ch == "?":
            m = _STRAY.match(text, i)
            cur.trail = None  # unknown high byte
            if m:
                cur.reading = m.group(1)
                results.append((slots, m.end()))
            else:
                nxt = text[i + 1] if i + 1 < len(text) else ""
                cur.guess_comma = is_han(nxt)
                results.append((slots, i + 1))
            return
        if ch.isascii():
            o = ord(ch)
            if 0x40 <= o <= 0x7E and ch.isalpha():  # raw trail byte
                s2 = _clone(slots)
                s2[-1].trail = o
                m = re.compile(r"\(([" + PINYIN_LETTERS + r"]{1,7})\)").match(text, i + 1)
                if m:
                    s2[-1].reading = m.group(1)
                    results.append((s2, m.end()))
                else:
                    results.append((s2, i + 1))
            fw = _fullwidth_bytes(ch)
            if fw:
                s2 = _clone(slots)
                s2[-1].trail = fw[0]
                s2.append(_Slot(lead=fw[1]))
                walk(i + 1, s2, units + 1)
            return
        try:
            b = ch.encode("gbk")
        except UnicodeEncodeError:
            return
        if len(b) != 2 or b[1] < 0x81:
            return
        s2 = _clone(slots)
        s2[-1].trail = b[0]
        s2.append(_Slot(lead=b[1]))
        walk(i + 1, s2, units + 1)

    walk(pos, [_Slot(lead=None, lead_set=lead_set)], 0)
    return results


def _clone(slots):
    out = []
    for s in slots:
        n = _Slot(s.lead, s.lead_set)
        n.trail, n.reading, n.guess_comma = s.trail, s.reading, s.guess_comma
        out.append(n)
    return out


def _reading_ok(ch: str, reading: str | None) -> bool:
    if reading is None:
        return True
    rs = _readings_of(ch)
    return reading.lower() in rs or _strip_tone(reading) in rs


def _candidates(slot: _Slot) -> list[str]:
    g = _gbk()
    if slot.lead is not None and slot.trail is not None:
        ch = g["pairs"].get((slot.lead, slot.trail))
        return [ch] if ch and _reading_ok(ch, slot.reading) else []
    if slot.reading is not None:
        pool = g["by_reading"].get(slot.reading) or g["by_reading"].get(_strip_tone(slot.reading), [])
    elif slot.trail is not None:
        pool = g["by_trail"].get(slot.trail, [])
    elif slot.lead is not None:
        pool = g["by_lead"].get(slot.lead, [])
    else:
        return []
    out = []
    for ch in pool:
        lead, trail = g["code"][ch]
        if slot.lead is not None and lead != slot.lead:
            continue
        if slot.lead_set is not None and lead not in slot.lead_set:
            continue
        if slot.trail is not None and trail != slot.trail:
            continue
        if slot.trail is None and trail < 0x80:  # an unknown byte eaten with "(" is high
            continue
        if not _reading_ok(ch, slot.reading):
            continue
        out.append(ch)
    return out


def _vanish_pairs(first: _Slot, second: _Slot) -> list[str]:
    """Two characters whose middle pair (trail of first, lead of second) was unassigned."""
    g = _gbk()
    s2 = _Slot(lead=None, lead_set=None)
    s2.trail, s2.reading = second.trail, second.reading
    seconds = _candidates(s2) if (s2.trail is not None or s2.reading) else []
    lex = _lexicon()
    out = []
    for c2 in seconds:
        lead2 = g["code"][c2][0]
        for word in lex["by_last"].get(_simp_char(c2), ()):
            for c1 in g["by_simp"].get(word[0], ()):
                lead1, trail1 = g["code"][c1]
                if first.lead is not None and lead1 != first.lead:
                    continue
                if first.lead_set is not None and lead1 not in first.lead_set:
                    continue
                if (trail1, lead2) in g["pairs"] or trail1 < 0x80:
                    continue
                out.append(c1 + c2)
    return out


def _viterbi(columns: list[list[str]], left: str, right: str) -> tuple[float, tuple[str, ...]] | None:
    """Best path through columns of candidate strings, scored with context."""
    if any(not col for col in columns):
        return None
    # state: candidate string → (score, path)
    prev: dict[str, tuple[float, tuple[str, ...]]] = {left: (0.0, ())}
    for col in columns:
        cur: dict[str, tuple[float, tuple[str, ...]]] = {}
        for cand in col:
            own = sum(char_logp(c) for c in cand) + sum(pair_bonus(a, b) for a, b in zip(cand, cand[1:]))
            best: tuple[float, tuple[str, ...]] | None = None
            for p, (sc, path) in prev.items():
                v = sc + own + (pair_bonus(p[-1], cand[0]) if p else 0.0)
                if best is None or v > best[0]:
                    best = (v, path + (cand,))
            assert best is not None  # prev is never empty: it starts with `left`, and every column has candidates
            cur[cand] = best
        prev = cur
    best = None
    for p, (sc, path) in prev.items():
        v = sc + (pair_bonus(p[-1], right) if right else 0.0)
        if best is None or v > best[0]:
            best = (v, path)
    return best


def _fill(slots: list[_Slot], left: str, right: str):
    """Best text for a parsed run, trying at most one vanished pair anywhere."""
    options = []
    base = [_candidates(s) for s in slots]
    res = _viterbi(base, left, right) if all(base) else None
    if res:
        options.append((res[0], res[1], 0))
    for k in range(len(slots)):
        # a vanished pair inside slot k: slot k splits into (lead, ?) + (?, trail)
        first = _Slot(slots[k].lead, slots[k].lead_set)
        second = _Slot()
        second.trail, second.reading = slots[k].trail, slots[k].reading
        pairs = _vanish_pairs(first, second)
        if not pairs:
            continue
        cols = base[:k] + [pairs] + base[k + 1 :]
        res = _viterbi(cols, left, right)
        if res:
            options.append((res[0] - _VANISH_PENALTY, res[1], 1))
    if not options:
        return None
    score, pieces, _ = max(options)
    # put back readings and the eaten comma so later stages see the page's form
    out = []
    for s, piece in zip(slots, pieces):
        out.append(piece)
        if s.reading is not None:
            out.append("(" + s.reading + ")")
        if s.guess_comma:
            out.append(",")
    return score, "".join(out)


def _original_score(span: str, left: str, right: str) -> float:
    score = 0.0
    chars = list(span)
    for c in chars:
        if c == "?" or c.isascii() or c in "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü":
            score += -12.0
        else:
            score += char_logp(c)
    seq = [left] + chars + [right]
    score += sum(pair_bonus(a, b) for a, b in zip(seq, seq[1:]) if a and b)
    return score


def _try_shift_repairs(text: str):
    """Find and repair lost-byte shift damage; returns (text, repaired, spans_left)."""
    if "?" not in text and not _RAW_ANNOT.search(text):
        return text, 0
    repaired = 0
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        best = None
        starts: list[tuple[int, int, frozenset[int] | None]]
        if ch == "?" and _shift_context(text, i):
            m = _STRAY.match(text, i)
            if m:  # stray reading: lost lead byte, narrowed by the reading
                lead_set = _trail_set_for_reading(m.group(1)) & frozenset(range(0x81, 0xFF))
                starts = [(i, m.end(), lead_set)]
            else:
                starts = [(i, i + 1, None)]
            best = _best_for_starts(text, starts, i)
        elif ch.isascii() and ch.isalpha() and _RAW_ANNOT.match(text, i) and (i == 0 or not text[i - 1].isalnum()):
            # a reading after an ASCII letter: the letter is a trail byte; the
            # run started silently 0–3 characters before it
            starts = []
            for k in range(0, 4):
                s = i - k
                if s < 0 or (k and text[s] in "\n"):
                    break
                starts.append((s, s, None))
            best = _best_for_starts(text, starts, None)
        if best:
            start, end, repl = best
            # text[start:i] was already copied to out: drop it
            drop = i - start
            if drop:
                del out[-drop:]
            out.append(repl)
            repaired += 1
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out), repaired


def _shift_context(text: str, i: int) -> bool:
    prev = text[i - 1] if i else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    return is_han(prev) or is_han(nxt) or bool(_STRAY.match(text, i))


def _best_for_starts(text: str, starts, qpos):
    """Try each start; return (start, end, replacement) if clearly better."""
    best = None
    for start, parse_from, lead_set in starts:
        limit = min(len(text), parse_from + 40)
        for slots, end in _parse(text, parse_from, lead_set, limit):
            left = text[start - 1] if start else ""
            right = text[end] if end < len(text) else ""
            filled = _fill(slots, left, right)
            if not filled:
                continue
            score, repl = filled
            orig = _original_score(_strip_annotations(text[start:end]), left, right)
            gain = score - orig
            if gain > _ACCEPT_MARGIN and (best is None or gain > best[0]):
                best = (gain, start, end, repl)
    if best:
        return best[1], best[2], best[3]
    return None


def _strip_annotations(s: str) -> str:
    return re.sub(r"\(([" + PINYIN_LETTERS + r"]{1,7})\)", "", s)


# ---------------------------------------------------------------------------
# whole-run encoding confusion
# ---------------------------------------------------------------------------

# Punctuation and symbols of ordinary Chinese writing. None of them is evidence of mojibake: on
# their own they are never "repaired" (—— read back as cp1252 bytes is 0x97 0x97, which GBK
# decodes as 棗), and a repaired run never swallows them at its edges.
CHINESE_SYMBOLS = frozenset(
    "—–―…‥～·•‘’“”「」『』〔〕［］【】《》〈〉〖〗、。，；：？！（）"
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑"
    "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
    "℃×÷°±¥‰§№※′″〃々〇￥"
) | frozenset(map(chr, range(0xFF01, 0xFF5F)))  # full-width ASCII: ！＂＃ …, digits, letters

# What latin-1 or cp1252 make of bytes 0x80–0xFF.
_LATIN_RUN = re.compile(
    r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    r"\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{2,}"
)
_CP1252_HIGH = bytes(range(0x80, 0x100)).decode("cp1252", errors="replace")  # U+FFFD at 81 8D 8F 90 9D
_MAX_EDGE = 4  # ordinary punctuation tried as the page's own at either edge of a run


def _latin_evidence(run: str) -> bool:
    """A Latin-1 letter (À–ÿ but × ÷) or a C1 control: clean Chinese text holds neither, while
    every character of UTF-8 Chinese read as latin-1 or cp1252 starts with one (ä å æ ç è é)."""
    return any(("\u00c0" <= c <= "\u00ff" and c not in "×÷") or "\u0080" <= c <= "\u009f" for c in run)


def _latin_bytes(run: str) -> bytes | None:
    """The bytes a latin-1 or cp1252 decoder read as `run`, one a character (browsers read both as
    windows-1252, whose five undefined bytes come out as C1 controls); None if one is neither."""
    out = bytearray()
    for ch in run:
        if ch <= "\u00ff":
            out.append(ord(ch))
        elif (index := _CP1252_HIGH.find(ch)) >= 0:
            out.append(0x80 + index)
        else:
            return None
    return bytes(out)


def _decode_utf8_prefix(data: bytes) -> tuple[str, int]:
    """The longest strictly valid UTF-8 prefix (whole characters) and its length in bytes."""
    try:
        return data.decode("utf-8"), len(data)
    except UnicodeDecodeError as exc:
        return data[: exc.start].decode("utf-8"), exc.start


def _han_share(s: str) -> float:
    return sum(1 for c in s if is_han(c) or c in PUNCT) / max(1, len(s))


def _han_count(s: str) -> int:
    return sum(1 for c in s if is_han(c))


def _latin_core_repairs(core: str):
    """Repairs of a latin-1/cp1252 run that was UTF-8 or GBK: (repaired run, its decoded part).

    Each round-trips: the decoded part, encoded again, is the run's bytes."""
    data = _latin_bytes(core)
    if data is None:
        return
    decoded, used = _decode_utf8_prefix(data)
    # A byte lost at the end (è¯�): the whole characters repair, the rest stays as it was.
    if (used == len(data) or (used >= 0.8 * len(data) and len(decoded) >= 2)) and _han_count(decoded):
        yield decoded + core[used:], decoded
    try:
        decoded = data.decode("gbk")
    except UnicodeDecodeError:
        return
    # One GBK character is two latin-1 characters: too little to tell from a foreign word.
    if decoded.encode("gbk") == data and _han_count(decoded) >= 2:
        yield decoded, decoded


def _repair_latin_run(match: re.Match) -> str | None:
    """The run repaired, or None. A repair needs evidence (`_latin_evidence`), must decode back
    strictly, and must read as Chinese better than the run did."""
    run = match.group(0)
    lead = 0
    while lead < min(len(run), _MAX_EDGE) and run[lead] in CHINESE_SYMBOLS:
        lead += 1
    tail = 0
    while tail < min(len(run) - lead, _MAX_EDGE) and run[-1 - tail] in CHINESE_SYMBOLS:
        tail += 1
    best, best_score = None, plausibility(run)
    for i in range(lead + 1):
        for j in range(tail + 1):
            core = run[i : len(run) - j]
            if len(core) < 2 or not _latin_evidence(core):
                continue
            for repaired, decoded in _latin_core_repairs(core):
                if _han_share(decoded) < 0.8:
                    continue
                candidate = run[:i] + repaired + run[len(run) - j :]
                score = plausibility(candidate)
                if score > best_score and score > -14:
                    best, best_score = candidate, score
    return best


def _utf8_mojibake_byte(b: int) -> bool:
    return 0x80 <= b <= 0xBF or 0xE0 <= b <= 0xEF


@lru_cache(maxsize=1)
def _gbk_mojibake_run_re() -> re.Pattern:
    """Runs of ≥2 characters that GBK makes of UTF-8 bytes: every character whose two GBK bytes
    both look like UTF-8 lead/continuation bytes (Han mostly, also ㄥ, 銆, 锛); the punctuation of
    ordinary Chinese writing (～ 「 ℃ ㈠ …, GBK's A1–A9 rows) excluded."""
    chars = set()
    for lead in range(0x80, 0x100):
        for trail in range(0x80, 0x100):
            if _utf8_mojibake_byte(lead) and _utf8_mojibake_byte(trail):
                try:
                    ch = bytes([lead, trail]).decode("gbk")
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1 and ch not in PUNCT and ch not in CHINESE_SYMBOLS:
                    chars.add(ch)
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]{2,}")


def _repair_gbk_run(match: re.Match) -> str | None:
    """A run of UTF-8 bytes read as GBK (鏀垮簻 → 政府), or None: the bytes must decode strictly,
    into Han characters that GBK gives back as the run, clearly more plausible than the run.

    Every character GBK makes of UTF-8 Chinese belongs to the run's class, so damaged text has
    no other Han character beside a run: a run next to one is part of clean text (備織 in 儲備織造)."""
    run, text = match.group(0), match.string
    if (match.start() and is_han(text[match.start() - 1])) or (match.end() < len(text) and is_han(text[match.end()])):
        return None
    data = run.encode("gbk")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(decoded) < 2 or _han_share(decoded) < 1.0 or decoded.encode("utf-8").decode("gbk") != run:
        return None
    return decoded if plausibility(decoded) > plausibility(run) + 2.0 else None


def _repair_encoding_runs(text: str) -> tuple[str, int]:
    repaired = 0

    def fix(match: re.Match, repair) -> str:
        nonlocal repaired
        fixed = repair(match)
        if fixed is None:
            return match.group(0)
        repaired += 1
        return fixed

    text = _LATIN_RUN.sub(lambda m: fix(m, _repair_latin_run), text)  # UTF-8 or GBK read as latin-1/cp1252
    text = _gbk_mojibake_run_re().sub(lambda m: fix(m, _repair_gbk_run), text)  # UTF-8 read as GBK
    return text, repaired


# ---------------------------------------------------------------------------
# lost non-breaking spaces and the suspects that are left
# ---------------------------------------------------------------------------

BYLINE_LABELS = (
    "审核",
    "審核",
    "责任编辑",
    "責任編輯",
    "编辑",
    "編輯",
    "摄影",
    "攝影",
    "校对",
    "校對",
    "来源",
    "來源",
    "作者",
    "撰稿",
    "记者",
    "記者",
    "通讯员",
    "通訊員",
    "监制",
    "監製",
    "审校",
    "審校",
    "终审",
    "終審",
    "初审",
    "初審",
    "复审",
    "複審",
)
_NBSP_Q = re.compile(r"(?<=[\u4e00-\u9fff])\?(?=(?:" + "|".join(BYLINE_LABELS) + r")[^\n]{0,3}?[:：])")

_STRAY_READING = re.compile(
    r"\?\(?[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)"
    r"|(?<=[\u4e00-\u9fff;；,，。])[A-Z]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)"
)
_QUESTION_WORDS = set("吗呢么吧啊呀嘛谁哪何几否嗎麼")


def _restore_nbsp(text: str):
    new, n = _NBSP_Q.subn(" ", text)
    return new, n


def find_suspects(text: str) -> list[dict]:
    spans: list[dict] = []
    for m in re.finditer(r"\ufffd+", text):
        spans.append({"span": _context(text, m.start(), m.end()), "offset": m.start()})
    for m in re.finditer(r"(?<=[\u4e00-\u9fff])\?+[!;]?(?=[\u4e00-\u9fff])", text):
        if text[m.start() - 1] in _QUESTION_WORDS:
            continue
        spans.append({"span": _context(text, m.start(), m.end()), "offset": m.start()})
    # Left-overs of the lost-byte shift: a stray reading after "?" or after a lone ASCII byte.
    for m in _STRAY_READING.finditer(text):
        spans.append({"span": _context(text, m.start(), m.end()), "offset": m.start()})
    for m in _LATIN_RUN.finditer(text):
        # Real mojibake of this kind carries Latin-1 letters (Ã, å, è …); quotes alone (”“) are
        # text, and so are the letters of a Latin word (Müßiggang).
        inside_word = (
            m.start()
            and text[m.start() - 1].isascii()
            and text[m.start() - 1].isalpha()
            and m.end() < len(text)
            and text[m.end()].isascii()
            and text[m.end()].isalpha()
        )
        if _latin_evidence(m.group(0)) and not inside_word:
            spans.append({"span": _context(text, m.start(), m.end()), "offset": m.start()})
    spans.sort(key=lambda s: s["offset"])
    return spans


def _context(text: str, start: int, end: int, width: int = 4) -> str:
    return text[max(0, start - width) : end + width]


def repair_mojibake(text: str, *, shifted: bool = False) -> tuple[str, int, list[dict]]:
    """Repair what decodes back; return (text, repaired_count, suspected_spans).

    ``shifted`` turns on the lost-byte GBK shift repair (kind 2 above).  It is off
    by default: on the seed pages it still picks wrong characters for some slots
    (``靶向对接`` came back as ``靶向东河``), and a wrong repair is worse than a
    flagged span.
    """
    if not isinstance(text, str) or not text:
        return text if isinstance(text, str) else "", 0, []
    try:
        text, n1 = _repair_encoding_runs(text)
    except Exception:  # never raise on odd input
        n1 = 0
    n2 = 0
    if shifted:
        try:
            text, n2 = _try_shift_repairs(text)
        except RecursionError:
            n2 = 0
    text, n3 = _restore_nbsp(text)
    return text, n1 + n2 + n3, find_suspects(text)
