"""Pagination of a list page: 下一页/page-number links (gaps of a numbered pager with `…`
filled in), `index_N.html` style names and `?page=N` queries on the list's own path.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from spiders.links.urls import PAGE_PARAMS

PAGE_PARAM = re.compile(rf"^{PAGE_PARAMS}$", re.I)
NUMBERED_PAGE_NAME = re.compile(r"^((?:index|list|default)[_-])(\d+)(\.s?html?)$", re.I)
DEFAULT_DOCUMENT = re.compile(r"/(?:index|default)\.\w+$", re.I)
NEXT_PAGE_TEXTS = {
    "下一页",
    "下页",
    "下一頁",
    "下頁",
    "后页",
    "後頁",
    "尾页",
    "尾頁",
    "末页",
    "末頁",
    "最后一页",
    ">",
    ">>",
    "»",
    "›",
    "next",
    "last",
    "…",
    "...",
    "···",
}
# Caps on the list pages one page may announce (bounds hostile or broken page counts).
MAX_ANNOUNCED_PAGES = 500


def _list_scope(list_url: str) -> str:
    """The folder a list page lives in; its pagination stays inside it."""
    path = urlsplit(list_url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def _page_path(path: str) -> str:
    """A list's path with its folder's default document (index.html, default.aspx) dropped."""
    return DEFAULT_DOCUMENT.sub("/", path) or "/"


def _non_page_params(query: str) -> set[tuple[str, str]]:
    return {(k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True) if not PAGE_PARAM.match(k)}


def _paginates(link: str, list_url: str, scope: str) -> bool:
    """Is `link` a page of the list `list_url`?  A query-paged link (`list.aspx?page=3`) must be
    the list's own path with the list's own other parameters; `index_3.html` stays in its folder."""
    link_parts, list_parts = urlsplit(link), urlsplit(list_url)
    if link_parts.query:
        return _page_path(link_parts.path) == _page_path(list_parts.path) and _non_page_params(
            list_parts.query
        ) <= _non_page_params(link_parts.query)
    return link_parts.path.startswith(scope)


def _own_pager(pages: list[str], list_url: str) -> list[str]:
    """Of the query-paged links on a list, those of its own pager: the ones whose other
    parameters are the list's own, or (when the pager adds some, `?uid=5678&pageNum=2`) the
    most numerous such group; `list.aspx?cat=7&page=2` on `list.aspx` is another list."""
    own = frozenset(_non_page_params(urlsplit(list_url).query))
    groups: dict[frozenset, list[str]] = {}
    for page in pages:
        if urlsplit(page).query:
            groups.setdefault(frozenset(_non_page_params(urlsplit(page).query)), []).append(page)
    if not groups:
        return pages
    if own in groups:
        keep = {own}
    else:
        most = max(len(g) for g in groups.values())
        keep = {key for key, group in groups.items() if len(group) == most}
    return [p for p in pages if not urlsplit(p).query or frozenset(_non_page_params(urlsplit(p).query)) in keep]


def _page_slot(url: str) -> tuple[str, int] | None:
    """(template, number) of a numbered list page; the template has a NUL where the number was
    (`list.aspx?page=_`, `index__.html`)."""
    parts = urlsplit(url)
    match = re.search(rf"(^|&)({PAGE_PARAMS}=)(\d+)(?=&|$)", parts.query, re.I)
    if match:
        query = parts.query[: match.start(3)] + "\0" + parts.query[match.end(3) :]
        return urlunsplit(parts._replace(query=query)), int(match[3])
    folder, _, leaf = parts.path.rpartition("/")
    match = NUMBERED_PAGE_NAME.match(leaf)
    if match:
        return urlunsplit(parts._replace(path=f"{folder}/{match[1]}\0{match[3]}")), int(match[2])
    return None


def _fill_page_gaps(pages: list[str]) -> list[str]:
    """Numbered pagers show `1 2 3 … 12 尾页`: the pages between the lowest and the highest
    number a template shows are pages of the list too."""
    numbers: dict[str, set[int]] = {}
    for page in pages:
        slot = _page_slot(page)
        if slot:
            numbers.setdefault(slot[0], set()).add(slot[1])
    missing = []
    for template, seen in numbers.items():
        if len(seen) < 2:
            continue
        # At most MAX_ANNOUNCED_PAGES from here: a later page's pager shows where to go on.
        low = min(seen)
        high = min(max(seen), low + MAX_ANNOUNCED_PAGES)
        missing.extend(template.replace("\0", str(n)) for n in range(low, high + 1) if n not in seen)
    return missing
