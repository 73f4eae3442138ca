"""Scrapy settings for govnews: the components are wired here, as data.

Override any of them per run with `-s NAME=VALUE` (e.g. `-s ARCHIVE_DB=/data/gov.db`).
"""

from crawler import __version__

BOT_NAME = "govnews"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where the archive lives (SQLite file, created on first use).
ARCHIVE_DB = "archive.db"
# Folders holding site configs (one YAML file per site); the bundled ones come first.
GOVNEWS_SITES_DIRS = []
# How many list pages one start URL may page through (calendar-style traps stop here).
GOVNEWS_MAX_LIST_PAGES = 50

# The path of a page: raw capture first, then the pure stages, then the archive.
ITEM_PIPELINES = {
    "pipelines.stages.CapturePipeline": 100,
    "pipelines.stages.ExtractPipeline": 200,
    "pipelines.stages.NormalizePipeline": 300,
    "pipelines.stages.EnrichPipeline": 400,
    "pipelines.stages.ArchivePipeline": 900,
}

# Politeness: identify ourselves, obey robots.txt, adapt to the server.
GOVNEWS_CONTACT_URL = "https://github.com/govnews/govnews"
USER_AGENT = f"govnews/{__version__} (+{GOVNEWS_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
# Article pages that answer 4xx/5xx are still captured, so the archive sees them.
HTTPERROR_ALLOWED_CODES = [404, 410, 412, 500, 502, 503, 521]

# Pages that need JavaScript go through scrapy-playwright with the system Chromium
# (Playwright cannot download its own browser on the machines we run on).
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
