"""Test support: the sites the tests and benchmarks crawl, all served on 127.0.0.1 by the one
loopback server base, `crawler.demo.server.LoopbackServer` (the bundled demo sites that
`govnews demo` serves stay in the package, crawler/demo/):

- `tests.support.cms`: generated government CMS sites (TRS, Hanweb, ASP.NET paged, feeds) and `CmsServer`;
- `tests.support.fault_server`: a misbehaving site, one article per fault, and `FaultServer`;
- `tests.support.browser_sites`: sites that need the browser (a cookie challenge, a scripted list), `BrowserSite`.

Not part of the wheel.  Tests import it as `tests.support` (pytest's `pythonpath` puts the
checkout on sys.path), benchmarks after putting the checkout on sys.path.
"""
