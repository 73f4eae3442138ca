"""`scrapy crawl`, with the `site` spider's arguments checked before Scrapy starts, and the exit
status of a graceful stop.

A bad `-a url=`, an unknown `-a site=`, a config that does not load or a GOVNEWS_SITES_DIRS
folder that does not exist or holds no configs is one line on stderr and exit status 1,
instead of the same message inside an asyncio traceback. A crawl stopped by SIGINT exits 130,
by SIGTERM 143 (crawler/stop.py), not 0.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.sites import SiteConfigError, check_dirs, site_for
from crawler.stop import exit_status

SITE_SPIDER = "site"  # spiders/site.py's SiteSpider.name


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        if len(args) == 1 and args[0] == SITE_SPIDER and self.settings is not None:
            spargs, sites_dirs = opts.spargs, tuple(self.settings.getlist("GOVNEWS_SITES_DIRS"))
            try:
                check_dirs(sites_dirs)
                site_for(spargs.get("url"), spargs.get("site"), sites_dirs)
            except SiteConfigError as exc:
                print(f"scrapy crawl {SITE_SPIDER}: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        super().run(args, opts)
        self.exitcode = self.exitcode or exit_status()
