"""Enrich a normalized record: keywords, people with titles, organizations, places,
region, document type and a SimHash (a pure function; dictionaries load once per process).

    record = enrich(normalize(extract(body, url)), site={"region": {...}})

Keywords are jieba TF-IDF terms with a bundled government-term dictionary
(``pipelines/data/gov_terms.txt``: 双招双引, 放管服, 六稳 …) and stop words
(``pipelines/data/stopwords.txt``: 全区, 要求, 一是 …), so they are terms, not
single characters or filler.  None of these fields is part of the content hash:
a better enricher does not make a new version.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import sys
from collections.abc import Iterator, Sequence
from functools import lru_cache
from operator import itemgetter

from crawler.record import Record
from pipelines.region import division_names, find_region
from pipelines.segment import jieba_dir, segment, segmenter
from pipelines.surnames import surnames as _surnames
from pipelines.table_cache import cached

# importlib.resources: the files are also read from a zipped egg (Scrapyd runs the project from one).
DATA = importlib.resources.files("pipelines") / "data"
KEYWORD_COUNT = 10
MAX_TAGGED_CHARS = 6000  # segmentation is the slow part; an article's first 6,000 characters say enough
KEYWORD_POS = frozenset(("n", "nz", "vn", "nt", "ns", "nr", "l", "an", "j", "eng"))

# Offices as the pages write them before a name: 区委书记张书杰, 区政府区长李朝锋, 市长王震,
# 开发区党工委书记、管委会主任范兆森, 市政府秘书长焦新文.
LEVEL = r"(?:省|市|区|县|镇|乡|街道|州|盟|旗)"
ORG_PREFIX = (
    r"(?:" + LEVEL + r"?(?:党工委|管委会|人大常委会|政协|政府|纪委|监委)|[\u4e00-\u9fff]{1,3}(?:局|办|部|院|厅))?"
)
OFFICE = (
    r"(?:总书记|"
    + ORG_PREFIX
    + r"(?:常务副市长|常务副区长|常务副县长|常务副省长|"
    + LEVEL
    + r"?(?:委|人大常委会|政协|政府|纪委|监委)?(?:常委|常务)?副?(?:书记|省长|市长|区长|县长|镇长|乡长|主任|主席|"
    r"秘书长|部长|局长|院长|检察长|主任委员|常委|委员|代表)))"
)
PERSON_AFTER_OFFICE = re.compile(rf"({OFFICE})、?(?=[\u4e00-\u9fff]{{2}})")
# Every office ends with one of these pairs (书记, 市长 … 代表), and is at most OFFICE_MAX_CHARS long
# (街道人大常委会 + 区人大常委会常务副主任委员; a test checks it against OFFICE): the regex, costly at
# every character, is tried only within that distance before one of them (`_offices`).
OFFICE_END = re.compile(r"(?=书记|[省市区县镇乡书部局院察]长|主任|主席|委员|常委|代表)")
OFFICE_MAX_CHARS = 21
# What follows a name in a report: punctuation, or the verb of the sentence.
NAME_END = re.compile(
    r"[、，,。；;：:）)\s“”]|同志|主持|出席|参加|讲话|指出|强调|要求|表示|介绍|在|等|和|及|作|代表|就|对|带队|调研|一行|"
    r"陪同|分别|率|到|赴|深入|会见|听取|宣读|传达|通报|部署|为|与|向|说|提出|看望|慰问|莅|先后|也|还|一起|共同|$"
)
LEADER_LIST = re.compile(rf"{LEVEL}(?:领导|级领导)([\u4e00-\u9fff、，,]{{2,120}}?)(?:等|和其他|及|出席|参加|陪同|分别)")
ORG_SUFFIX = re.compile(
    rf"{LEVEL}(?:委|政府|人大常委会|政协)?[\u4e00-\u9fff]{{0,8}}?(?:局|委员会|办公室|宣传部|组织部|统战部|政法委|"
    r"管委会|中心|法院|检察院|办事处|公司|学校|医院)"
)
NOT_IN_ORG = re.compile(r"[要的了在是与把对为将观抓做让使从向也都就还把好]")  # sentence words, not a name
ORG_END = re.compile(r"(?:局|委|会|院|部|办|厅|中心|公司|政府|集团|银行|大学|学校|医院|所|站|队|社|署|处|室|馆)$")
DOC_TYPE_RULES = [
    (
        "通知公告",
        "title: 通知/公告/通告/公示",
        re.compile(r"(?:通知|公告|通告|公示|启事|预告)$|关于.{2,40}的(?:通知|公告|通告|公示)"),
    ),
    (
        "政策文件",
        "title: 办法/意见/方案/规定/条例/规划",
        re.compile(r"(?:办法|意见|方案|规定|条例|规划|细则|决定|批复|政策解读)(?:（[^）]*）)?$"),
    ),
    ("讲话", "title: 讲话/致辞/发言", re.compile(r"讲话|致辞|发言|报告会上|上的报告")),
    (
        "会议",
        "title: 会议/会",
        re.compile(r"会议|常委会|全会|座谈会|推进会|部署会|调度会|动员会|分析会|大会|(?:召开|举行).{0,12}会"),
    ),
]


def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table and its median (what jieba.analyse.TFIDF loads), read from jieba's file:
    the jieba objects that would load it also build a prefix dictionary we never use (~200 MB)."""
    return _jieba_tables()[1]


def _build_idf() -> tuple[dict[str, float], float]:
    idf = {}
    with (jieba_dir() / "analyse" / "idf.txt").open(encoding="utf-8") as lines:
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if value:
                idf[sys.intern(word)] = float(value)
    return idf, sorted(idf.values())[len(idf) // 2]


@lru_cache(maxsize=1)
def _jieba_tables() -> tuple[dict[str, str], tuple[dict[str, float], float]]:
    """The word tags and the IDF table, built once per cache (pipelines/table_cache.py): from
    jieba's text files they take about a second, a stage worker's longest start-up work."""
    return cached("jieba-tables", _jieba_table_inputs, lambda: (_build_word_tags(), _build_idf()))


def _jieba_table_inputs() -> list[bytes]:
    """What the tables are built from: jieba's two files, ours, and this module's code."""
    return [
        (jieba_dir() / "dict.txt").read_bytes(),
        (jieba_dir() / "analyse" / "idf.txt").read_bytes(),
        (DATA / "gov_terms.txt").read_bytes(),
        (importlib.resources.files("pipelines") / "enrich.py").read_bytes(),
    ]


def load_tables() -> None:
    """Load the dictionaries now (a second or more) rather than at the first page."""
    segmenter(), _word_tags(), _idf(), _stop_words(), _surnames()


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    lines = (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def keywords(
    text: str, count: int = KEYWORD_COUNT, words: list[tuple[str, str]] | None = None, names: Sequence[str] = ()
) -> list[str]:
    """TF-IDF terms (jieba's IDF table, our dictionary and stop words) over the POS-tagged words.

    `names` are the people found in the text: jieba's pieces of them (潘功 of 潘功发) count as the name."""
    if not text:
        return []
    idf, median = _idf()
    stop = _stop_words()
    known = _word_tags()
    counts: dict[str, int] = {}
    guessed: set[str] = set()  # words only the HMM found, not names: 桐溪市, 兜牢, but also 此件, 日起
    name_of = _names_by_prefix(names)
    for word, flag in words if words is not None else tagged(text):
        if flag in KEYWORD_POS and len(word) >= 2 and word not in stop and not NUMBER.fullmatch(word):
            word = name_of.get(word, word)
            counts[word] = counts.get(word, 0) + 1
            if word not in known and flag != "nr" and word not in name_of:
                guessed.add(word)
    # A guessed word said once is more often a mis-cut (此件, 我局, 因县) than the text's subject; a
    # term the text is about recurs. Guessed words score with the median IDF, enough to crowd out real terms.
    for word in guessed:
        if counts[word] == 1:
            del counts[word]
    total = sum(counts.values()) or 1
    scored = sorted(counts, key=lambda w: (-counts[w] * idf.get(w, median) / total, w))
    return scored[:count]


def _names_by_prefix(names: Sequence[str]) -> dict[str, str]:
    """Every prefix of every name → the first name that starts with it (a look-up per word
    instead of a scan of the names)."""
    name_of: dict[str, str] = {}
    for name in names:
        for end in range(1, len(name) + 1):
            name_of.setdefault(name[:end], name)
    return name_of


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) pairs.

    jieba's HMM segmentation, with each word's tag from jieba's dictionary and ours. It is
    not jieba.posseg: its 200-state Viterbi is six times slower and that is the cost of the
    whole pipeline. A word found only by the HMM (a new name, a new term) is tagged ``nr``
    when it starts with a surname and ``nz`` otherwise.
    """
    known, guessed = _word_tags().get, _GUESSED_TAGS.get  # tags are never empty strings
    return [(word, known(word) or guessed(word) or _guess_tag(word)) for word in segment(text)]


# The tags of the words jieba's dictionary lacks, as guessed; punctuation, numbers and names recur.
_GUESSED_TAGS: dict[str, str] = {}
MAX_GUESSED_TAGS = 100_000  # then the memo starts again: it never grows with the crawl


def _guess_tag(word: str) -> str:
    single, double = _surnames()
    if HAN_WORD.fullmatch(word) and 2 <= len(word) <= 4:
        tag = "nr" if len(word) <= 3 and (word[0] in single or word[:2] in double) else "nz"
    elif LATIN_WORD.fullmatch(word):
        tag = "eng"
    elif NUMBER.fullmatch(word):
        tag = "m"
    else:
        tag = "x"
    if len(_GUESSED_TAGS) >= MAX_GUESSED_TAGS:
        _GUESSED_TAGS.clear()
    _GUESSED_TAGS[word] = tag
    return tag


HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.+-]*")
NUMBER = re.compile(r"[\d.%,]+")


def _word_tags() -> dict[str, str]:
    """jieba's dictionary tags (what jieba.posseg tags words with), with our government terms' over them."""
    return _jieba_tables()[0]


def _build_word_tags() -> dict[str, str]:
    tags = {}
    with (jieba_dir() / "dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) >= 3:
                tags[sys.intern(parts[0])] = sys.intern(parts[2])
    for line in (DATA / "gov_terms.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            tags[parts[0]] = parts[2]
    return tags


def _name_at(text: str) -> str | None:
    """The person name at the start of `text`: a surname, one or two more characters, then
    punctuation or the sentence's verb (王震出席 → 王震, 王斌权、 → 王斌权); jieba decides otherwise."""
    single, double = _surnames()
    for length in (3, 2, 4):
        candidate = text[:length]
        if len(candidate) < length or not all("\u4e00" <= c <= "\u9fff" for c in candidate):
            continue
        surname_ok = candidate[:2] in double if length == 4 else candidate[0] in single or candidate[:2] in double
        if surname_ok and NAME_END.match(text, length):
            return candidate
    words = tagged(text[:8])
    if words and words[0][1] == "nr" and 2 <= len(words[0][0]) <= 4:
        return words[0][0]
    return None


def _office_title(office: str) -> str:
    # 区政府区长 → 区长; 市政府秘书长 stays (the secretary-general belongs to the government).
    return re.sub(rf"^{LEVEL}?政府(?={LEVEL})", "", office)


def _offices(text: str) -> Iterator[re.Match]:
    """The matches of ``PERSON_AFTER_OFFICE.finditer(text)``, the same ones, searched only in the
    stretches where an office can start: up to OFFICE_MAX_CHARS before an office's last two characters."""
    ends = [m.start() + 2 for m in OFFICE_END.finditer(text)]  # where the offices could end
    position, i = 0, 0
    while i < len(ends):
        first, last = ends[i], ends[i]
        i += 1
        while i < len(ends) and ends[i] - OFFICE_MAX_CHARS <= last - 2:  # overlapping stretches: one
            last = ends[i]
            i += 1
        # An office starting in [first - OFFICE_MAX_CHARS, last - 2] ends by `last`; with its 、 and
        # the two characters the look-ahead reads, the search needs nothing beyond last + 3.
        position = max(position, first - OFFICE_MAX_CHARS)
        while (match := PERSON_AFTER_OFFICE.search(text, position, last + 3)) and match.start() <= last - 2:
            yield match
            position = match.end()


def people(text: str) -> list[dict]:
    found: dict[str, str] = {}
    for match in _offices(text):
        title = _office_title(match.group(1))
        position = match.end()
        while True:  # 副市长王斌权、梁丽萍、武健鹏: every name of the list holds the office
            name = _name_at(text[position : position + 12])
            if not name:
                break
            found.setdefault(name, title)
            position += len(name)
            if text[position : position + 1] != "、":
                break
            position += 1
    for match in LEADER_LIST.finditer(text):
        level = match.group(0)[: match.group(0).index("领导")]
        for part in re.split(r"[、，,]", match.group(1)):
            part = part.strip()
            if 2 <= len(part) <= 3 and part not in found and _name_at(part + "，") == part:
                found[part] = f"{level}领导"
    return [{"name": name, "title": title} for name, title in found.items()]


def organizations(text: str, words: list[tuple[str, str]] | None = None) -> list[str]:
    seen: dict[str, None] = {}
    for match in ORG_SUFFIX.finditer(text):
        org = match.group(0)
        if 4 <= len(org) <= 16 and not NOT_IN_ORG.search(org[1:-1]):
            seen.setdefault(org)
    for word, flag in words if words is not None else tagged(text[:MAX_TAGGED_CHARS]):
        if flag == "nt" and len(word) >= 3 and ORG_END.search(word):
            seen.setdefault(word)
    return list(seen)[:30]


PLACE_SUFFIX = re.compile(r"(?:省|市|区|县|镇|乡|村|街道|社区|路|街|河|江|湖|山|桥|港|新城|园区|开发区|新区)$")


def places(text: str, words: list[tuple[str, str]] | None = None) -> list[str]:
    """Administrative divisions (安庆, 魏都区) and named places the dictionary knows (渭河, 西城区)."""
    known = division_names()
    seen: dict[str, None] = {}
    for word, flag in words if words is not None else tagged(text[:MAX_TAGGED_CHARS]):
        if len(word) < 2 or (len(word) == 2 and flag != "ns"):  # no rule below takes it: no look-ups
            continue
        if (
            (len(word) >= 3 and word in known)
            or (
                flag == "ns" and any(word + suffix in known for suffix in ("市", "县", "区"))  # 安庆 of 安庆市
            )
            or flag == "ns"
            and len(word) >= 3
            and PLACE_SUFFIX.search(word)
        ):
            seen.setdefault(word)
    return list(seen)[:30]


def doc_type(title: str | None, text: str) -> tuple[str, str]:
    head = title or text[:60]
    for name, rule, pattern in DOC_TYPE_RULES:
        if pattern.search(head):
            return name, rule
    return "新闻", "default"


def simhash(text: str, words: list[tuple[str, str]] | None = None) -> str | None:
    """64-bit SimHash over jieba tokens (hex); near-duplicates differ in few bits.

    Tokens are the words of two or more characters that are not all space."""
    tokens = segment(text) if words is None else list(map(itemgetter(0), words))
    # Count each bit over all token hashes in C: byte column j of the packed hashes, mapped by a
    # table to 1 where bit k is set, counted. A bit is set when more than half the tokens set it.
    hashes = _TOKEN_BYTES
    if len(hashes) >= MAX_TOKEN_BYTES:
        hashes.clear()
    for word in set(tokens).difference(hashes):
        hashes[word] = _token_hash(word).to_bytes(8, "little") if len(word) >= 2 and word.strip() else b""
    packed = b"".join(map(hashes.__getitem__, tokens))  # the words that are no tokens add nothing
    count = len(packed) // 8
    if not count:
        return None
    value = 0
    for j in range(8):
        column = packed[j::8]
        for k in range(8):
            if 2 * column.translate(_BIT_TABLES[k]).count(1) > count:
                value |= 1 << (8 * j + k)
    return f"{value:016x}"


_BIT_TABLES = [bytes((b >> k) & 1 for b in range(256)) for k in range(8)]
# Each word's hash as the 8 bytes packed above (empty for a word that is no token); like the memo of
# guessed tags, it starts again when full.
_TOKEN_BYTES: dict[str, bytes] = {}
MAX_TOKEN_BYTES = 100_000


@lru_cache(maxsize=65_536)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def enrich(record: Record, *, site: dict | None = None) -> Record:
    text = record.text or ""
    full = f"{record.title or ''}\n{text}"
    words = tagged(full[:MAX_TAGGED_CHARS])  # one POS-tagging pass serves every enrichment below
    record.people = people(full)
    record.keywords = keywords(full, words=words, names=[p["name"] for p in record.people])
    record.organizations = organizations(full, words)
    record.places = places(full, words)
    region = (site or {}).get("region")
    if region:
        record.region = {**dict(region), "source": "site_config"}
        record.provenance["region"] = "site_config"
    else:
        record.region = find_region(
            site_code=record.site_code, site_name=record.site_name, title=record.title, text=text[:MAX_TAGGED_CHARS]
        )
        if record.region:
            record.provenance["region"] = record.region["source"]
    record.doc_type, record.doc_type_rule = doc_type(record.title, text)
    body_start = next((i + 1 for i, (w, _) in enumerate(words) if "\n" in w), 0)  # after the title
    record.simhash = simhash(text, words[body_start:]) if text else None
    return record
