"""Bylines: （撰稿：程立胜）, (撰稿人:李明月 审核人:王燦), （记者 唐晓 罗佳）, 本报讯（通讯员 吴静）.

The patterns that find a byline (at the end of the body, in its lead, as a line of the
page) and the functions that put its people into the record's fields: author, editor,
reviewer, source, in order, with roles, places and what is not a name left out.
"""

from __future__ import annotations

import re

from crawler.record import Record
from pipelines.extract.metadata import LABEL_ONLY, LABEL_RE, is_account_or_portal
from pipelines.surnames import looks_like_a_name

NAME = r"[\u4e00-\u9fff·]{2,4}"
# Whose reporter: 本报, 新华社, 光明日报, 总台, 新华网黑龙江频道, 澎湃新闻, 《棱镜》 (reposted news names
# the newsroom).
NEWSROOM = r"(?:本报|本网|本台|[\u4e00-\u9fff·]{0,10}?(?:报|台|网|社|频道|客户端|新闻)|《[^》]{1,12}》)"
RANK = r"(?:特约|见习|实习|首席|职工)"
# Words that follow 记者 in column names (记者调查, 记者手记 in a menu), never a reporter's name.
NOT_A_NAME = r"(?!(?:调查|观察|手记|连线|视角|专栏|在线|走基层|节|证|站|之家)(?![\u4e00-\u9fff]))"
ROLE_NO_COLON = rf"(?:{NEWSROOM}\s*)?{RANK}?(?:记者|通讯员)|实习生"  # these take names without a colon
# 北京报道, 山东冠县报道, 发自北京: where the report was filed, after the names.
REPORTED_FROM = r"(?:[\u4e00-\u9fff]{2,8}?报道|发自[\u4e00-\u9fff]{2,8})"
# 文/张三, 文/图 张三, 图文 张三: the writer (and photographer) before a slash or alone.
SLASH_ROLE = r"(?:(?:文\s*[/／]\s*图|图\s*[/／]\s*文|文图|图文)\s*[/／:：]?|(?:文|撰文|文字|执笔)\s*[/／])"
# Between the names of one byline: spaces, 、 or &.
NAME_GAP = r"(?:\s+|\s*[、&＆]\s*)"
BYLINE_ROLE = (
    rf"撰稿人?|作者|(?:{NEWSROOM}\s*)?{RANK}?记者|通讯员|实习生|供稿|采写|执笔|原创|文|图|摄影|"
    r"责任编辑|编辑|责编|审核人?|审稿|校对|信息来源|来源"
)
BYLINE_BODY = (
    rf"(?:(?:{BYLINE_ROLE})\s*[:：][^（()）]{{1,80}}"
    rf"|(?:{ROLE_NO_COLON})\s*{NOT_A_NAME}{NAME}(?:\s+{NAME}){{0,5}}"
    rf"(?:\s+(?:{ROLE_NO_COLON})\s*{NAME}(?:\s+{NAME}){{0,5}})*(?:\s+{REPORTED_FROM}|\s*发自[\u4e00-\u9fff]{{2,8}})?"
    rf"|{SLASH_ROLE}\s*{NAME}(?:{NAME_GAP}{NAME}){{0,3}}"
    rf"|{SLASH_ROLE}?\s*{NEWSROOM}\s*(?:专栏|特约)?作者\s*{NAME})"
)
# In parentheses a byline may also be names and a place alone: （姚峰 上海报道）.
BYLINE_PAREN = re.compile(rf"[（(]\s*({BYLINE_BODY}|{NAME}(?:\s+{NAME}){{0,3}}\s+{REPORTED_FROM})\s*[)）]\s*$")
# 本报讯（记者 王五）, 据新华社拉萨电（记者 格桑边觉）.
LEAD_BYLINE = re.compile(rf"^\s*(?:[^\s，。（(]{{0,12}}[讯电]\s*)?[（(]\s*({BYLINE_BODY})\s*[)）]")
BYLINE_LABEL_FIELD = {
    "撰稿": "author",
    "撰稿人": "author",
    "作者": "author",
    "记者": "author",
    "通讯员": "author",
    "实习生": "author",
    "供稿": "author",
    "采写": "author",
    "执笔": "author",
    "原创": "author",
    "文": "author",
    "编辑": "editor",
    "责任编辑": "editor",
    "责编": "editor",
    "审核": "reviewer",
    "审核人": "reviewer",
    "审稿": "reviewer",
    "校对": "reviewer",
    "来源": "source",
    "信息来源": "source",
    "摄影": "_photo",
    "图": "_photo",
}
BYLINE_PART = re.compile(
    rf"(?:(?:{NEWSROOM}\s*)?{RANK}?(?=记者))?({BYLINE_ROLE})\s*[:：]"
    rf"|(?:^|(?<=[\s（(、，,;；?？]))(?:{NEWSROOM}\s*)?{RANK}?(记者|通讯员|实习生|(?<=》)作者|(?<=[网报社]专栏)作者)(?=\s*[\u4e00-\u9fff])"
    rf"|(?:^|(?<=[\s（(]))({SLASH_ROLE})"
)
# A byline alone on its line, maybe in brackets or after a bullet (□ 本报记者 葛灵丹).
BYLINE_LINE = re.compile(rf"[□■●◆▲★☆◇○]?\s*[（(【\[]?\s*({BYLINE_BODY})\s*[)）】\]]?")


# A closing credit line of roles and names, the slash as their colon (医技药剂党支部供稿 摄影/张艳 编辑/苏芳).
CREDIT_PART = rf"(?:[\u4e00-\u9fff、]{{2,20}}供稿|(?:摄影|编辑|责编|校对|审核)\s*[/／:：]\s*{NAME})"
CREDIT_LINE = re.compile(rf"{CREDIT_PART}(?:\s+{CREDIT_PART})+")


def take_credit_line(record: Record, probe: str) -> bool:
    """Whether the line is a credit line; its roles' names go to their fields."""
    if not CREDIT_LINE.fullmatch(probe.strip()):
        return False
    _take_byline(record, re.sub(r"(摄影|编辑|责编|校对|审核)\s*[/／]", r"\1：", probe))
    return True


def byline_line(probe: str, limit: int) -> re.Match | None:
    """The line as a byline alone on its line (shorter than ``limit``), or None; a role's words
    that are a sentence are an interview's question (记者：你怎样看待…？), not a byline."""
    probe = probe.strip()
    if len(probe) >= limit or re.search(r"[？！?!]|。.", probe) or probe.count("，") >= 2:
        return None
    return BYLINE_LINE.fullmatch(probe)


# A name alone in parentheses, closing the article: （张巨峰）; an author only if it looks like a name.
BARE_NAME_LINE = re.compile(r"[（(]\s*([\u4e00-\u9fff]{2,4})\s*[)）]")
# What stands before a name: the role, with whose reporter (南都见习记者: any newsroom's).
ROLE_PREFIX = re.compile(
    rf"^(?:[^\s记]{{0,12}}?{RANK}?(?:记者|通讯员)|{NEWSROOM}?\s*(?:专栏|特约)?作者|实习生|撰稿人?)\s*[:：]?\s*"
)
# A byline without a role: names, then where they reported from.
NAMES_REPORTING = re.compile(rf"({NAME}(?:\s+{NAME}){{0,3}})\s+{REPORTED_FROM}")
NON_NAME = re.compile(r"\d|[:：@/\\]|https?|www\.|\.com")
# An organization where a person's name should be (作者：医技药剂党支部): four Han characters or more
# that end as an office, a department or a company does.
ORGANIZATION = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:支部|党委|委员会|办公室|中心|局|处|科|部|院|所|站|队|社区|公司|集团|协会|学会)"
)
LOGIN = re.compile(r"[a-z][a-z0-9_.]{3,}")  # a CMS login, lower case (a name in Latin letters is capitalized)
# What a byline's person did besides writing: 整理, 编译 (a name before it, or glued to it).
COMPILED = re.compile(r"整理|整合|编译|综合|综述")
# A CMS account code glued to an editor's name: 杜硕_NB12556, 韩保林-PK155.
ACCOUNT_SUFFIX = re.compile(r"(?<=[\u4e00-\u9fff])[_\-－]?[A-Za-z]{1,8}\d{2,}$")


def _tokens(value: str) -> list[str]:
    """The words of a byline; 胡一刀&李小飞刀 is two names, 放飞&心情 (a user's handle) is one."""
    tokens = []
    for token in re.split(r"[\s、，,;；/]+", value):
        parts = re.split(r"[&＆]", token)
        tokens.extend(parts if len(parts) > 1 and all(map(looks_like_a_name, parts)) else [token])
    return tokens


def _clean_person(value: str | None, people: bool = True, editor: bool = False) -> str | None:
    """``记者 黄一鸣`` → ``黄一鸣``; ``许诺 王可`` stays two names; stops at what is not a name.

    With ``people`` (an author, an editor), CMS accounts (管理员, admin) and portals (网易) are left out;
    with ``editor`` also logins (biaoffeng): an editor is named, a blog's author may be its handle."""
    if not value:
        return None
    value = re.split(r"[?？|｜【】\[\]()（）]", value)[0]
    names: list[str] = []
    for token in _tokens(value.strip(" ：:，,。;；")):
        token = ACCOUNT_SUFFIX.sub("", ROLE_PREFIX.sub("", token)).strip(" ：:，,。;；")
        if names and token.endswith("报道"):
            break  # 彭冲 山东冠县报道: the place the report came from
        if names and COMPILED.fullmatch(token):
            break  # 陈智 整合: what the named person did, after the names
        bare = re.sub(
            rf"(?:摄|报道|{COMPILED.pattern})$|(?<=[\u4e00-\u9fff]{{2}})发自[\u4e00-\u9fff]{{2,8}}$", "", token
        )
        last = bare != token and len(token) > 3  # 路闻卓立编译 人民币交易与研究: the names end there
        token = bare if last else token
        if not token or (people and (is_account_or_portal(token) or ORGANIZATION.fullmatch(token))):
            continue
        if editor and LOGIN.fullmatch(token):
            continue
        if NON_NAME.search(token) or len(token) > 12 or LABEL_RE.search(token) or LABEL_ONLY.fullmatch(token):
            break  # not a name, or the next label of the info bar (作者：张三 阅读 12)
        names.append(token)
        if len(names) == 6 or last:
            break
    return " ".join(names) or None


def _take_byline(record: Record, text: str) -> None:
    """（记者 许诺 通讯员 王可）: every name of one role group goes to its field, in order."""
    parts = list(BYLINE_PART.finditer(text))
    found: dict[str, list[str]] = {}
    if not parts and (reporting := NAMES_REPORTING.fullmatch(text.strip())):
        found["author"] = reporting.group(1).split()
    for i, part in enumerate(parts):
        end = parts[i + 1].start() if i + 1 < len(parts) else len(text)
        field = BYLINE_LABEL_FIELD.get(part.group(1) or part.group(2)) if not part.group(3) else "author"
        value = _clean_person(text[part.end() : end], people=field != "source", editor=field in ("editor", "reviewer"))
        if field and not field.startswith("_") and value:
            found.setdefault(field, []).extend(n for n in value.split() if n not in found.get(field, []))
    for field, names in found.items():
        if not getattr(record, field):
            setattr(record, field, " ".join(names) if field != "source" else names[0])
            record.provenance[field] = "byline"


def take_closing_name(record: Record, line: str) -> bool:
    """（张巨峰） alone on the article's last line: the author, when it looks like a name (not
    （上海）, （区委办）, （全文完））. Whether the line was such a byline."""
    bare = BARE_NAME_LINE.fullmatch(line.strip())
    if not bare or not looks_like_a_name(bare.group(1)):
        return False
    if not record.author:
        record.author, record.provenance["author"] = bare.group(1), "byline"
    return True
