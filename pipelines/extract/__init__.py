"""Extract an article record from a page's raw bytes (a pure function: no Scrapy, no network).

    record = extract(body_bytes, "http://www.example.gov.cn/zwxx/t20200430_1.html",
                     headers={"Content-Type": "text/html; charset=gb2312"})

Government sites share a handful of CMS families (TRS WCM, Hanweb JCMS, the
provincial intensive platforms, old ASP/PHP systems) and their conventions, so
the rules below come first and trafilatura is the general fallback:

* **metadata, in order of trust** — the CMS ``<meta>`` tags (``ArticleTitle``,
  ``PubDate``, ``ContentSource``, ``SiteName``, ``SiteIDCode`` …), then the
  labelled info bar (``发布时间：… 来源：… 浏览：…``, Simplified or Traditional,
  any colon, ``【】`` brackets), then end-of-body bylines (``（撰稿：程立胜）``),
  then the date in the URL; a field the page does not state stays None;
* **body** — the CMS content container (``TRS_Editor``, ``#zoom`` …) when the page
  has one and the density reading agrees with it (else trafilatura, the container and
  the density reading are weighed on the evidence: ``arbitrate``), else trafilatura on the page with navigation, share, print and footer
  blocks removed; then the line rules: 字号/打印/关闭/分享到/扫一扫/上一篇/推荐阅读/
  footers never reach ``text``, image captions go to ``images``, bylines to
  their fields, a repeated headline is dropped.

``provenance`` says which method found each field; ``warnings`` flags weak records.
A page that cannot give a record raises :class:`ExtractionError` with the reason.

The package's modules import one way: ``page`` (:func:`extract`) → ``shown_date`` (the date the
page shows against the meta's) and ``arbitrate`` (which candidate is the body) → ``density``
(the density reading) and ``body`` (container, trafilatura, line rules) → ``bylines`` →
``metadata`` (``<meta>`` tags, info-bar labels, headline, breadcrumb) → ``tree`` (parsing as a
browser does, the page as lines), and ``page`` → ``decode`` (bytes → text). This module
re-exports what callers import from ``pipelines.extract``.
"""

from pipelines.extract.body import _squash
from pipelines.extract.decode import decode_page
from pipelines.extract.metadata import _probe, labelled_fields
from pipelines.extract.page import MAX_PAGE_BYTES, extract
from pipelines.extract.tree import block_lines

__all__ = ["MAX_PAGE_BYTES", "_probe", "_squash", "block_lines", "decode_page", "extract", "labelled_fields"]
