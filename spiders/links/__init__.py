"""Find article links and pagination on a list page, the way government CMSes lay them out.

Pure functions over a page's URL and body, so they are tested on fixture pages
and reused by every spider.  An article link is recognised by the URL shapes of
the common CMSes (TRS `t20200430_123.html`, Hanweb `/art/2020/4/30/art_…`,
intensive-platform `/content/detail/<id>.html`, dated folders, `Detail.aspx?id=`…)
or, failing that, by its context: a headline-length anchor text pointing at a
leaf page with an id, or a headline-length link in the same list structure as known
article links (the same tag path and classes, a date beside it), whatever its URL.  Pagination is 下一页/page-number links (gaps of a numbered
pager with `…` filled in), `index_N.html` style names, `?page=N` queries on the
list's own path, the TRS `createPageHTML(...)` script and the Hanweb JCMS
`<datastore>` + jpage config (further records fetched by POST from
`dataproxy.jsp`).  A body that is an XML sitemap, an RSS or an Atom feed gives
its entries, and a page advertising a feed or sitemap gets it crawled too.

The package, by concern (imports go one way, down this list): `discover` (`find_links`,
`PageLinks`), `context` (articles by their place in the list), `feeds`, `hanweb`, `trs`, `pagers`, `urls` (article and list URL shapes), `scan` (the linear element scans).
"""

from __future__ import annotations

from spiders.links.discover import PageLinks, find_links
from spiders.links.feeds import FEED_TYPES, XML_ROOT, feed_links, xml_root
from spiders.links.hanweb import (
    CDATA,
    DATASTORE,
    HANWEB_FORM_KEYS,
    HANWEB_PROXY,
    HANWEB_RANGE_PARAMS,
    JS_VALUE,
    NEXTGROUP,
    RECORD,
    datastore_records,
)
from spiders.links.pagers import (
    DEFAULT_DOCUMENT,
    MAX_ANNOUNCED_PAGES,
    NEXT_PAGE_TEXTS,
    NUMBERED_PAGE_NAME,
    PAGE_PARAM,
)
from spiders.links.trs import CALL_ARGUMENT, CREATE_PAGE_CALL
from spiders.links.urls import (
    ARTICLE_URL_PATTERNS,
    HAN,
    LIST_URL_PATTERNS,
    NON_PAGE_EXTENSIONS,
    NOT_ARTICLE_TEXTS,
    PAGE_PARAMS,
    is_article_url,
    is_list_url,
)

__all__ = [
    "ARTICLE_URL_PATTERNS",
    "CALL_ARGUMENT",
    "CDATA",
    "CREATE_PAGE_CALL",
    "DATASTORE",
    "DEFAULT_DOCUMENT",
    "FEED_TYPES",
    "HAN",
    "HANWEB_FORM_KEYS",
    "HANWEB_PROXY",
    "HANWEB_RANGE_PARAMS",
    "JS_VALUE",
    "LIST_URL_PATTERNS",
    "MAX_ANNOUNCED_PAGES",
    "NEXTGROUP",
    "NEXT_PAGE_TEXTS",
    "NON_PAGE_EXTENSIONS",
    "NOT_ARTICLE_TEXTS",
    "NUMBERED_PAGE_NAME",
    "PAGE_PARAM",
    "PAGE_PARAMS",
    "PageLinks",
    "RECORD",
    "XML_ROOT",
    "datastore_records",
    "feed_links",
    "find_links",
    "is_article_url",
    "is_list_url",
    "xml_root",
]
