"""`scrapy crawl`, exiting 130 after SIGINT and 143 after SIGTERM (crawler/stop.py), not 0."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.stop import exit_status


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        super().run(args, opts)
        self.exitcode = self.exitcode or exit_status()
