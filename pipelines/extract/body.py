"""The body: the CMS content container, else trafilatura (or the densest block), then the line rules.

The content container (``TRS_Editor``, ``#zoom`` …) when the page has one, else
trafilatura on the page with navigation, share, print and footer blocks removed; then
:func:`clean_body`: 字号/打印/关闭/分享到/扫一扫/上一篇/推荐阅读/footers never reach
``text``, image captions go to ``images``, bylines and info-bar lines to their fields, a
repeated headline is dropped. Also the dates found just around the body and the page's
attachments.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from crawler.record import Record
from pipelines.dates import parse_date
from pipelines.extract.bylines import (
    BYLINE_PAREN,
    LEAD_BYLINE,
    NAME,
    NEWSROOM,
    _clean_person,
    _take_byline,
    byline_line,
    take_closing_name,
    take_credit_line,
)
from pipelines.extract.metadata import (
    CMS_ACCOUNT,
    LABEL_RE,
    LEADING_DATE,
    WEAK_LABELS,
    _probe,
    _views,
    labelled_fields,
)
from pipelines.extract.tree import (
    CAPTION_LINE,
    CAPTION_MARK,
    CHROME_WORDS,
    CONTAINER_MARKS,
    DROP_TAGS,
    HAN_RE,
    IMG_MARK,
    _is_caption_element,
    _is_layout_row,
    _text,
    nests_deeper_than,
)
from pipelines.surnames import looks_like_a_name

if TYPE_CHECKING:
    from lxml.html import HtmlElement

TAIL_HEADINGS = re.compile(
    r"^[【\[]?\s*(?:推荐阅读|相关阅读|相关新闻|相关链接|相关文章|热点文章|热点文章阅读|热门文章|相关热词搜索|延伸阅读|"
    r"猜你喜欢|热门推荐|精彩推荐|更多阅读|往期回顾|相关稿件|热词|相关附件|网友评论|相关报道|其他报道)\s*[】\]]?\s*[:：]?"
)
BOILERPLATE_LINE = re.compile(
    r"^(?:[【\[]?\s*(?:字号|字体)\s*[:：]?.{0,12}$"
    r"|.*[【\[]\s*(?:字号|打印|我要打印|关闭|关闭窗口)\s*"
    r"|(?:[【\[]\s*)?(?:打印本页|打印文章|我要打印|打印|关闭窗口|关闭本页|关闭|返回顶部|返回|收藏|纠错|分享)\s*[】\]]?$"
    r"|(?:大|中|小|\s|【|】|\[|\])+$"
    r"|分享到.{0,40}$|.*扫一扫.{0,30}$|.{0,10}(?:微信|手机)(?:扫描|扫码).{0,20}$|请打开微信.*$"
    r"|上一篇.*|下一篇.*|上一条.*|下一条.*"
    r"|.{0,6}第\s*\d+\s*页\s*[/／]\s*共\s*\d+\s*页.{0,6}|.{0,12}上一页.{0,30}下一页.{0,12}"  # a pager
    r"|(?:文章|新闻)?图片$|点击(?:查看)?大图$|image$"
    r"|当前位置.*|您的位置.*|您现在的位置.*"
    r"|[【\[]?(?:免责)?声明[】\]:：].*|.*(?:转载此文|转载请注明|不代表本(?:网|站)观点|版权归原作者).*"
    r"|.*(?:下载(?:Word|WORD|word|PDF|pdf|本文|文档)|复制全文|温馨提示[:：]).*"
    r"|(?:通讯|联系)?地址\s*[:：][^。]{0,60}(?:电话|邮编|邮政编码|传真)\s*[:：][^。]*$|.{2,20}(?:办公室|中心|局|公司|政府|委员会|网站)(?:制作|建设)?维护$"
    r"|.*(?:建议使用|推荐使用).{0,30}(?:分辨率|浏览器).*"
    r"|.*(?:ICP\s*备|公网安备|网站标识码|网站地图|版权所有|Copyright|©).*"
    # 主办单位：… alone may be a line of an event notice; beside another footer item it is the footer.
    r"|.*(?:主办单位|承办单位|主办\s*[:：]|承办\s*[:：]|技术支持\s*[:：]|联系我们).*"
    r"(?:主办单位|承办单位|主办\s*[:：]|承办\s*[:：]|技术支持\s*[:：]|联系我们|联系电话|地址\s*[:：]|邮编).*"
    r")",
    re.I,
)
# A bare name in parentheses after the last sentence of the article, on the same line.
CLOSING_NAME = re.compile(r"(?<=[。！？”」])\s*[（(]\s*([\u4e00-\u9fff]{2,4})\s*[)）]\s*$")
LEAD_LINES = 5
BAR_LINES = 8  # a share or comment bar's lines after the closing byline, at most
# A writer and the newspaper the article comes from, above the article: 石佳/中国青年报.
NAME_SLASH_NEWSROOM = re.compile(rf"({NAME})\s*[/／]\s*({NEWSROOM})")
WIDGET_PROSE, WIDGET_MIN = (
    4,
    400,
)  # see _article_resumes  # where a dateline or a byline line above the article is looked for
PLACEHOLDER_CAPTIONS = {"文章图片", "图片", "image", "img", "点击查看大图", "查看大图", "图"}


def _find_container(root: HtmlElement) -> HtmlElement | None:
    """The CMS content container with the most text, from the most specific kind that has one."""
    found: dict[int, list] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        classes, ident = el.get("class"), el.get("id")
        if not classes and not ident:
            continue
        tokens = set(classes.split()) if classes else set()
        for rank, (class_marks, id_marks) in enumerate(CONTAINER_MARKS):
            if tokens & class_marks or ident in id_marks:
                found.setdefault(rank, []).append(el)
                break
    for rank in sorted(found):
        best = max(found[rank], key=lambda el: len(HAN_RE.findall(el.text_content())))
        if len(HAN_RE.findall(best.text_content())) >= 20:
            return best
    return None


ATTACHMENT_PATH = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|et|pptx?)$")
# Deeper trees (thousands of unclosed tags) make trafilatura's table and text recovery
# quadratic in the depth, seconds a page; real pages nest a few dozen deep.
TRAFILATURA_MAX_DEPTH = 200
CHROME_SHARE_LIMIT = 0.3  # above it, trafilatura's output is the whole page rather than an article


def _chrome_share(root, lines: list[str]) -> float:
    """The share of the text in `lines` that is page chrome: whole link texts (navigation, lists),
    boilerplate lines (当前位置, 打印, footers) and stray brackets."""
    links = {" ".join(_text(a).split()) for a in root.iter("a")}
    total = sum(len(line) for line in lines)
    chrome = sum(
        len(line)
        for line in lines
        if line in links or len(line.strip("[]【】|>» ")) == 0 or BOILERPLATE_LINE.match(_probe(line))
    )
    return chrome / total if total else 0.0


def _lift_captions(root) -> tuple[list, dict[int, str]]:
    """Take caption elements out of the tree (for trafilatura), as captions of the image before them."""
    images = list(root.iter("img"))
    position = {img: i for i, img in enumerate(images)}
    captions: dict[int, str] = {}
    for el in [e for e in root.iter() if isinstance(e.tag, str) and _is_caption_element(e)]:
        text = _text(el)
        image = el.xpath("preceding::img[1]")
        if text and image and image[0] in position:
            captions.setdefault(position[image[0]], text)
        if el.getparent() is not None:
            el.drop_tree()
    return images, captions


def _unwrap_layout_tables(root) -> None:
    """Old sites lay pages out with tables; trafilatura reads those as data and keeps
    navigation and article as table rows. Layout tables become divs, data tables stay."""
    # The parts of each table (not of a table nested in it), in one walk: asking each part for
    # its nearest table would be quadratic in the depth of nested tables.
    owned: dict = {}
    stack = [(root, None)]
    while stack:
        el, table = stack.pop()
        if el.tag == "table":
            owned[el] = []
            table = el
        elif table is not None and el.tag in ("tbody", "thead", "tfoot", "tr", "td", "th"):
            owned[table].append(el)
        stack.extend((child, table) for child in reversed(el))
    for table in list(root.iter("table")):
        parts = owned[table]
        rows = [el for el in parts if el.tag == "tr"]
        if rows and any(_is_layout_row(row) for row in rows):
            for el in [table, *parts]:
                el.tag = "div"


def _han_below(text: str, limit: int) -> bool:
    """Fewer than ``limit`` Han characters in ``text``; stops counting at the limit, as nested
    chrome blocks around a huge text would otherwise count it again at every level."""
    return next(islice(HAN_RE.finditer(text), limit - 1, None), None) is None


def _strip_chrome(root) -> None:
    """Remove navigation, share/print/QR blocks, footers and the like (never an ancestor of text-rich content)."""
    for el in list(root.iter(*DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter("nav", "footer", "header", "aside")):
        if el.getparent() is not None and _han_below(el.text_content(), 400):
            el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body"):
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if marks.strip() and CHROME_WORDS.search(marks) and _han_below(el.text_content(), 300):
            el.drop_tree()


def _trafilatura_lines(root, url: str) -> list[str]:
    import trafilatura

    if nests_deeper_than(root, TRAFILATURA_MAX_DEPTH):
        return []  # as for its failures: the densest block is read instead
    try:
        text = trafilatura.extract(
            root,
            url=url,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_formatting=False,
            deduplicate=False,
            favor_recall=True,
            output_format="txt",
        )
    except Exception:  # trafilatura bugs on odd pages must not lose the page
        text = None
    lines = []
    for line in (text or "").split("\n"):
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):  # its table rows: | a | b | → a | b
            line = " | ".join(c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ") if c.strip())
        if line:
            lines.append(line)
    return lines


@lru_cache(maxsize=4096)
def _squash(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", _probe(text))


def _same_text(a: str, b: str) -> bool:
    return bool(a and b) and abs(len(a) - len(b)) < max(len(a), len(b)) and _squash(a) == _squash(b)


def _is_date_line(probe: str) -> bool:
    """A short line that is a date and little else (a site name, a URL, a view count)."""
    if len(probe) > 80 or not parse_date(probe):
        return False
    rest = re.sub(r"https?://\S+|www\.\S+|\d+|" + LABEL_RE.pattern, "", probe)
    return len(HAN_RE.findall(rest)) <= 10 and not re.search(r"[。！？]", probe)


def _is_text_line(line: str) -> bool:
    """A sentence or a salutation (各单位：), not a headline-like line."""
    return len(line) > 60 or bool(re.search(r"[。！？：:；]\s*$", line))


def _is_prose(line: str) -> bool:
    return len(line) >= 40 and line.rstrip()[-1:] in "。！？”!?"


def _article_resumes(lines: list[str], heading: int) -> int | None:
    """Where the article's text starts again after a related-reading heading that is not its
    tail, or None: the article's paragraphs all come after it (at least ``WIDGET_PROSE`` times the
    prose above it, and ``WIDGET_MIN`` characters), as when a video player and its 相关新闻 list
    open the content container."""
    before = sum(len(line) for line in lines[:heading] if _is_prose(line))
    after = sum(len(line) for line in lines[heading + 1 :] if _is_prose(line))
    if after < WIDGET_MIN or after < WIDGET_PROSE * before:
        return None
    return next(i for i in range(heading + 1, len(lines)) if _is_prose(lines[i]))


def _is_said(value: str) -> bool:
    """What follows a label is a sentence, not a field's value: an interview's question
    (记者：你怎样看待农业税补贴问题？), a speaker's words. An info bar holds no full stop."""
    if LABEL_RE.search(value):
        return False  # 时间：2021-06-03，来源：区政府办公室: the next label of an info bar
    return bool(re.search(r"[？！?!]", value) or (len(value) > 20 and re.search(r"[。，；]", value)))


def _lead_chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines if not line.startswith(IMG_MARK))


def clean_body(
    lines: list[str],
    title: str | None,
    record: Record,
    image_elements: list,
    base_url: str,
    from_container: bool,
    lifted_captions: dict[int, str] | None = None,
) -> list[str]:
    """Apply the government-page line rules; fills bylines, images and info-bar fields into `record`."""
    kept: list[str] = []
    captions: dict[int, str | None] = dict(lifted_captions or {})
    alts = {a for a in ((img.get("alt") or "").strip() for img in image_elements) if len(a) >= 8}
    text_lines, text_started = 0, False  # until a sentence comes, date lines belong to the info bar
    widget_until = -1  # the lines of a related list embedded above the article's text
    for i, line in enumerate(lines):
        if line.startswith((IMG_MARK, CAPTION_LINE)):
            kept.append(line)
            continue
        if i < widget_until:
            continue
        probe = _probe(line)
        if TAIL_HEADINGS.match(probe) and (from_container or i >= len(lines) * 0.3):
            if (resume := _article_resumes(lines, i)) is None:
                break  # recommended/related lists: everything after is not the article
            widget_until = resume  # a video player's related list above the article: skip it
            continue
        if BOILERPLATE_LINE.match(probe):
            continue
        first_label = LABEL_RE.search(probe) if len(line) < 160 else None
        if (
            first_label
            and not _is_said(probe[first_label.end() :])
            and (first_label.start() <= 3 or LEADING_DATE.match(probe[: first_label.start()]))
            and (first_label["label"] not in WEAK_LABELS or len(LABEL_RE.findall(probe)) >= 2)
        ):
            # A line that starts with a label (发布时间：…, 【来源：…】, 责任编辑：…) is an info bar.
            _take_info_fields(record, labelled_fields(probe), "info_bar_in_body")
            continue
        if lifted_captions is not None and any(_same_text(line, alt) for alt in alts):
            continue  # an image's alt text repeated as its caption, outside any caption element
        if not text_started and _is_date_line(probe):
            if not record.published_at:  # 2005-07-18 13:03:17 / http://www.x.com 2005-07-18 above the text
                record.published_at, record.provenance["published_at"] = parse_date(probe), "body_top"
            continue
        if title and _same_text(line, title) and _lead_chars(kept) < 80:
            continue  # the headline repeated at the top of the body (maybe below a lead image)
        kept.append(line)
        text_lines += 1
        text_started = text_started or text_lines > 2 or _is_text_line(line)

    # Image markers: a caption element, the image's alt text, or a short line right after an image
    # is its caption; captions go to `images`, never to the body.
    out: list[str] = []
    last_image = None
    for i, line in enumerate(kept):
        if line == CAPTION_MARK:
            continue
        if line.startswith(CAPTION_LINE):
            if last_image is not None and not captions.get(last_image):
                captions[last_image] = line[len(CAPTION_LINE) :]
            continue
        if line.startswith(IMG_MARK):
            index = last_image = int(line[len(IMG_MARK) :])
            caption = None
            if i + 1 < len(kept) and not kept[i + 1].startswith((IMG_MARK, CAPTION_LINE)):
                nxt = kept[i + 1].strip()
                alt = (image_elements[index].get("alt") or "").strip()
                if (len(nxt) <= 40 and not re.search(r"[。！？!?]$", nxt)) or (alt and _same_text(nxt, alt)):
                    caption = nxt
                    kept[i + 1] = CAPTION_MARK
            captions[index] = caption or captions.get(index)
            continue
        if line.strip() in PLACEHOLDER_CAPTIONS:
            continue
        out.append(line)

    for index, el in enumerate(image_elements):
        src = el.get("src") or el.get("data-src") or el.get("data-original") or ""
        if (
            not src
            or src.startswith("data:")
            or re.search(r"(?:qrcode|ewm|erweima|logo|icon|share|blank|spacer)", src, re.I)
        ):
            continue
        caption = captions.get(index)
        alt = (el.get("alt") or el.get("title") or "").strip()
        if caption in PLACEHOLDER_CAPTIONS:
            caption = None
        if not caption and alt and alt not in PLACEHOLDER_CAPTIONS and not re.search(r"\.\w{3,4}$", alt):
            caption = alt
        image_url = join_url(base_url, src.strip())
        if image_url is None:  # an invalid URL (http://[zz/x.jpg): skip the image, not the page
            record.warn("bad_image_url")
            continue
        image = {"url": image_url, "caption": caption}
        if image not in record.images:
            record.images.append(image)

    # End-of-body bylines: （撰稿：程立胜）, (撰稿人:李明月 审核人:王燦), 责任编辑：x as the last lines.
    _drop_bar_after_byline(out)
    while out:
        probe = _probe(out[-1])
        match = BYLINE_PAREN.search(probe)
        if match:
            _take_byline(record, match.group(1))
            stripped = out[-1][: _original_offset(out[-1], probe, match.start())].rstrip()
            if stripped:
                out[-1] = stripped
                break
            out.pop()
            continue
        line_match = byline_line(probe, 80)
        if line_match:
            _take_byline(record, line_match.group(1))
            out.pop()
            continue
        if take_closing_name(record, probe) or take_credit_line(record, probe):
            out.pop()
            continue
        closing = CLOSING_NAME.search(probe)
        if closing and looks_like_a_name(closing.group(1)):  # …在巴西、乌拉圭、阿根廷举行。（张巨峰）
            if not record.author:
                record.author, record.provenance["author"] = closing.group(1), "byline"
            out[-1] = out[-1][: _original_offset(out[-1], probe, closing.start())].rstrip()
        break
    _take_lead_byline(record, out)
    return out


def _take_lead_byline(record: Record, out: list[str]) -> None:
    """A byline among the first ``LEAD_LINES`` lines (a share bar may come first) fills the author. A dateline stays in the text (it is
    part of the lead): 本报讯（记者 王五）…, 新华社巴黎12月9日电（记者唐霁）…; a byline alone on its line
    (【新春走基层】 / 光明日报记者 王建宏 张文攀 / the lead) is not the article's text and leaves it."""
    for i, line in enumerate(out[:LEAD_LINES]):
        probe = _probe(line).strip()
        if (credit := NAME_SLASH_NEWSROOM.fullmatch(probe)) and looks_like_a_name(credit.group(1)):
            for name, value in (("author", credit.group(1)), ("source", credit.group(2))):  # 石佳/中国青年报
                if not getattr(record, name):
                    setattr(record, name, value)
                    record.provenance[name] = "byline"
            del out[i]
            return
        if match := LEAD_BYLINE.match(probe):
            if not record.author:
                _take_byline(record, match.group(1))
            return
        if byline := byline_line(probe, 60):
            _take_byline(record, byline.group(1))
            del out[i]
            return


def _is_bar_line(line: str) -> bool:
    """A share, like or comment bar's line: a few words without a sentence (赞 0 赏分享, 阅读 539, A+)."""
    return len(line.strip()) <= 12 and not re.search(r"[。！？，]", line)


def _drop_bar_after_byline(out: list[str]) -> None:
    """The bar lines (at most ``BAR_LINES``) that follow the article's closing byline leave the text,
    so that the byline is read: …开展金融知识普及。(文/图 刘玺东 易赛楠) / 赞 0 赏分享 / 查看评论 / A+."""
    bar = 0
    while bar < min(BAR_LINES, len(out) - 1) and _is_bar_line(out[-1 - bar]):
        bar += 1
    if not bar:
        return
    probe = _probe(out[-1 - bar])
    if BYLINE_PAREN.search(probe) or byline_line(probe, 80):
        del out[-bar:]


def _original_offset(original: str, probe: str, probe_offset: int) -> int:
    """Where `probe_offset` of the probe falls in the original line (the probe drops pinyin)."""
    if len(original) == len(probe):
        return probe_offset
    tail = len(probe) - probe_offset
    # The byline sits at the end; count back the same number of non-annotation characters.
    cleaned = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)", lambda m: "\x01" * len(m.group(0)), original)
    count, pos = 0, len(original)
    while pos > 0 and count < tail:
        pos -= 1
        if cleaned[pos] != "\x01":
            count += 1
    return pos


def _take_info_fields(record: Record, fields: dict, method: str) -> None:
    for name, value in fields.items():
        if name.startswith("_"):
            continue
        if name in ("published_at", "written_at"):
            parsed = parse_date(value)
            if parsed and not getattr(record, name):
                setattr(record, name, parsed)
                record.provenance[name] = method
        elif name == "views":
            if record.views is None and "views" not in record.provenance:
                record.views = _views(value)
                record.provenance["views"] = method
        elif name in ("author", "editor", "reviewer"):
            value = _clean_person(value, editor=name != "author")
            if value and not getattr(record, name):
                setattr(record, name, value)
                record.provenance[name] = method
        else:
            value = value.strip()
            if name == "source" and CMS_ACCOUNT.fullmatch(value):
                continue  # 来源：网络, 来源：未知: no source named
            if value.endswith(("）", ")")) and not re.search(r"[（(]", value):
                value = value[:-1].rstrip()  # （来源：北屿日报）: the byline's bracket, not the value's
            if value and not getattr(record, name):
                setattr(record, name, value)
                record.provenance[name] = method


def _date_near_title(page_lines: list[str], title: str | None) -> str | None:
    """A complete date on a short line just below the headline (``2005年03月21日 11:21 《理财周刊》``)."""
    if not title:
        return None
    seen = 0
    for i, line in enumerate(page_lines):
        if _same_text(line, title) or (len(title) >= 6 and title in line and len(line) <= 150):
            after_title = line[line.find(title) + len(title) :] if title in line else ""
            for nearby in [after_title, *page_lines[max(0, i - 2) : i], *page_lines[i + 1 : i + 9]]:
                if len(nearby) <= 120:
                    found = parse_date(_probe(nearby))
                    if found:
                        return found
            seen += 1
            if seen == 3:  # the headline, the breadcrumb, the <h1>: further copies are related lists
                break
    return None


def _line_index(page_lines: list[str], line: str) -> int:
    probe = line.strip()[:20]
    return next((i for i, page_line in enumerate(page_lines) if probe and probe in page_line), len(page_lines))


def _date_before_body(page_lines: list[str], first_body_line: str) -> str | None:
    """A complete date on a short line in the few lines above the body (the info bar's place)."""
    probe = first_body_line[:20]
    for i, line in enumerate(page_lines):
        if probe and probe in line:
            for above in reversed(page_lines[max(0, i - 8) : i]):
                if len(" ".join(above.split())) <= 80:
                    found = parse_date(_probe(above))
                    if found:
                        return found
            return None
    return None


def join_url(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None for a URL urllib refuses (an invalid IPv6 host
    such as ``http://[zz/x``, a host that changes under NFKC such as ``http://a＃@b/``)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _attachments(root, base_url: str, record: Record | None = None) -> list[dict]:
    """The links to documents (PDF, Word, Excel, WPS, OFD, archives); an invalid link is skipped
    with the warning ``bad_attachment_url`` on ``record``."""
    found, seen = [], set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        try:
            path: str | None = urlsplit(href).path.lower()
        except ValueError:  # an invalid URL: skipped, noted when it names a document
            path = None
        if not ATTACHMENT_PATH.search(path if path is not None else re.split(r"[?#]", href, maxsplit=1)[0].lower()):
            continue
        url = join_url(base_url, href) if path is not None else None
        if path is None or url is None:
            if record is not None:
                record.warn("bad_attachment_url")
            continue
        if url in seen:
            continue
        seen.add(url)
        name = _text(a) or a.get("title") or path.rsplit("/", 1)[-1]
        found.append({"name": name.strip(), "url": url})
    return found
