"""`scrapy startproject trsnews`'s settings, with politeness off for our own server on 127.0.0.1
(benchmarks/crawl_peer.py passes the same -s settings to both crawls)."""

BOT_NAME = "trsnews"
SPIDER_MODULES = ["trsnews.spiders"]
NEWSPIDER_MODULE = "trsnews.spiders"

ADDONS = {}
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {"trsnews.pipelines.SqlitePipeline": 300}
PEER_DB = "articles.db"
# Rows written in one insert (one transaction): a commit per page would be the slow part.
PEER_BATCH = 100
