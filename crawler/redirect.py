"""Redirects back to a URL already visited: followed once more, then a clear failure.

Scrapy's RedirectMiddleware hands a→b→a back to the scheduler, whose duplicate filter drops the
second `a` without a word: the page is lost and nothing is recorded. Here a redirect to a URL of
the request's own chain is fetched again (dont_filter: a server that sets a cookie and redirects
to the same page gets its second request), and a third visit ends the chain with
IgnoreRequest("redirect loop: …"), which the spider records as a failure.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

MAX_VISITS = 2  # times one URL may be requested within one redirect chain


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if result.url in chain:
                if chain.count(result.url) >= MAX_VISITS:
                    raise IgnoreRequest("redirect loop: " + " -> ".join([*chain, result.url]))
                result.dont_filter = True
        return result
