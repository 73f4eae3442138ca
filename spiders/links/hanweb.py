"""Hanweb JCMS: records in `<datastore>`, more of them from dataproxy.jsp.

The HTML of the records a list page (or the XML answer of dataproxy.jsp) carries, and
from its jpage config the POSTs to `dataproxy.jsp` that fetch the further records.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from spiders.links.pagers import MAX_ANNOUNCED_PAGES
from spiders.links.scan import braced, delimited, elements, first_element

# What the datastore's parts look like; they are read by the linear scans of spiders/links/scan.py,
# never by these lazy patterns (quadratic on unclosed tags), which stay for reference.
DATASTORE = re.compile(r"<datastore\b[^>]*>(.*?)</datastore\s*>", re.I | re.S)
RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.I | re.S)
NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.I | re.S)
CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"
HANWEB_RANGE_PARAMS = {"startrecord", "endrecord", "perpage"}
HANWEB_FORM_KEYS = (
    "col",
    "appid",
    "webid",
    "path",
    "columnid",
    "sourcecontenttype",
    "unitid",
    "webname",
    "permissiontype",
)
AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{", re.I)
JS_VALUE = r"""(?:'([^'\n]*)'|"([^"\n]*)"|([^,;}\s'"]+))"""


def _cdata_or_text(raw: str) -> str:
    parts = list(delimited(raw, "<![CDATA[", "]]>"))
    return "".join(parts) if parts else html_lib.unescape(raw)


def datastore_records(body: str) -> list[str]:
    """The HTML of every `<record>` of the Hanweb `<datastore>`s in `body` (a list page or the
    XML answer of dataproxy.jsp)."""
    records = []
    for store in elements(body, "datastore"):
        records.extend(_cdata_or_text(r) for r in elements(store, "record"))
    return records


def _js_setting(text: str, *names: str, numeric: bool = False) -> str | None:
    """The value a page's scripts give `name` (`name: 'v'`, `"name": v`, `var name = v`)."""
    for name in names:
        pattern = rf"""(?:^|[\s{{,;'"(])['"]?{name}['"]?\s*[:=]\s*{JS_VALUE}"""
        for match in re.finditer(pattern, text, re.I):
            value = next(g for g in match.groups() if g is not None)
            if not numeric or value.strip().isdigit():
                return value.strip() if numeric else value
    return None


def _hanweb_form(body: str) -> dict[str, str]:
    """The form data jpage posts to dataproxy.jsp: its `ajaxParam`, else the query of the
    datastore's `<nextgroup>` link, else the known keys set in the page's scripts."""
    params = braced(body, AJAX_PARAM)
    if params is not None:
        pairs = re.finditer(rf"""['"]?([\w$]+)['"]?\s*:\s*{JS_VALUE}""", params)
        return {m[1]: next(g for g in m.groups()[1:] if g is not None) for m in pairs}
    group = first_element(body, "nextgroup")
    if group is not None:
        href = re.search(r"""href\s*=\s*['"]([^'"]*)['"]""", _cdata_or_text(group))
        try:
            query = urlsplit(html_lib.unescape(href[1])).query if href else ""
        except ValueError:  # a malformed link (`http://[zz/…`): no form from it
            query = ""
        if query:
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "page"]
            if pairs:
                return dict(pairs)
    form = {}
    for key in HANWEB_FORM_KEYS:
        value = _js_setting(body, key)
        if value is not None:
            form[key] = value
    return form


def _hanweb_posts(url: str, body: str, embedded: int) -> list[tuple[str, dict[str, str]]]:
    """One POST to dataproxy.jsp per jpage group (perPage × groupSize records) the page does not
    already carry, up to `totalRecord`."""
    total = _js_setting(body, "totalRecord", "total_record", numeric=True)
    if not total:
        return []
    proxy = _js_setting(body, "proxyUrl", "proxy_url") or HANWEB_PROXY
    proxy_parts = urlsplit(html_lib.unescape(proxy))
    proxy_query = dict(parse_qsl(proxy_parts.query, keep_blank_values=True))
    per_page = _js_setting(body, "perPage", "per_page", numeric=True) or proxy_query.get("perpage", "")
    per_page = per_page if per_page.isdigit() else "15"
    group_size = _js_setting(body, "groupSize", "group_size", numeric=True) or "3"
    per_page_n, total_n = max(int(per_page), 1), int(total)
    step = per_page_n * max(int(group_size), 1)
    kept = [
        (k, v) for k, v in parse_qsl(proxy_parts.query, keep_blank_values=True) if k.lower() not in HANWEB_RANGE_PARAMS
    ]
    form = _hanweb_form(body)
    posts = []
    for start in range(1, total_n + 1, step):
        end = min(start + step - 1, total_n)
        if end <= embedded:
            continue  # the page itself carries these records
        query = urlencode([*kept, ("startrecord", start), ("endrecord", end), ("perpage", per_page_n)])
        posts.append((urljoin(url, urlunsplit(proxy_parts._replace(query=query))), dict(form)))
        if len(posts) >= MAX_ANNOUNCED_PAGES:
            break
    return posts
