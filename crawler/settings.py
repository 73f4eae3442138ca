"""Scrapy settings for govnews: the components are wired here, as data.

Override any of them per run with `-s NAME=VALUE` (e.g. `-s ARCHIVE_DB=/data/gov.db`).
"""

BOT_NAME = "govnews"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` checks the site spider's arguments first, and exits 130/143 after SIGINT/SIGTERM
# (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"

# Where the archive lives (SQLite file, created on first use).
ARCHIVE_DB = "archive.db"
# Folders holding site configs (one YAML file per site), searched before the bundled crawler/sites/.
GOVNEWS_SITES_DIRS = []
# How many list pages one start URL may page through (calendar-style traps stop here).
GOVNEWS_MAX_LIST_PAGES = 50
# Incremental crawls (crawler/incremental.py): an archived article is fetched again only while
# it is younger than GOVNEWS_RECHECK_DAYS (a site config's `recheck_days` wins), or once it has
# not been fetched for GOVNEWS_REVISIT_DAYS (to see withdrawals); always conditionally.
GOVNEWS_INCREMENTAL = True
GOVNEWS_RECHECK_DAYS = 7
GOVNEWS_REVISIT_DAYS = 30

# Worker processes for the pure stages (extract, normalize, enrich): they run beside the crawl,
# on another core; 0 runs them in a thread of the crawl's own process.
GOVNEWS_STAGE_PROCESSES = 1

# Scale-out on Redis (docs/scaling.md). With a Redis URL, a crawl sends its captures and records
# to the stream the one writer (`govnews ingest`) reads, instead of writing ARCHIVE_DB; a
# `govnews worker` sets it, and GOVNEWS_QUEUE_JOB, for each crawl it runs.
GOVNEWS_QUEUE = ""
# The queue job a crawl belongs to: the incremental state it reads, the `job` of its crawl_runs row.
GOVNEWS_QUEUE_JOB = ""
# The stream's bound, in messages (about one per page, its raw capture inside): crawls wait at it.
GOVNEWS_QUEUE_STREAM_MAX = 500
# ... and in bytes (the messages' compressed size): pages of megabytes and their attachments
# would otherwise fill Redis's memory long before the count bound. A message larger than this
# is sent alone, when the stream is empty.
GOVNEWS_QUEUE_STREAM_MAX_BYTES = 256 * 1024 * 1024
# Seconds without a heartbeat after which a worker counts as dead: its job runs again on
# another worker, and the host locks it held lapse.
GOVNEWS_QUEUE_DEAD_AFTER = 60
# Stream messages the writer applies in one transaction.
GOVNEWS_INGEST_BATCH = 100

# Run bookkeeping: the archive connection and the crawl_runs row (crawler/archive_run.py).
# SIGINT/SIGTERM end a crawl cleanly: its run `interrupted`, exit status 130/143 (crawler/stop.py).
# Scrapy's telnet console stays off: crawls that start at the same moment (a timer's, a
# machine's workers, two test workers) race for its ports, and the loser logs an error
# (OSError: Address already in use, from listen() after bind); its shell into the crawl is
# nothing an operator of scheduled crawls uses. -s TELNETCONSOLE_ENABLED=True brings it back.
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control is off for the same reasons, and more: it is an HTTP server in every
# crawl that runs Python code sent to it (its token in a job file under ~/.local/state/scrapy,
# one more file for each crawl, never removed). -s REMOTE_CONTROL_ENABLED=True brings it back.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "crawler.archive_run.ArchiveRun": 0,
    "crawler.limits.ResponseLimits": 0,
    "crawler.stop.GracefulStop": 0,
    "crawler.progress.Progress": 0,
    "crawler.crawl_metrics.CrawlMetrics": 0,
    "crawler.health.HealthCheck": 0,
}
# Seconds between progress lines in the log (`site X: 120 of ~450 articles, 38/min, ETA 9 min`,
# crawler/progress.py); 0: none.
GOVNEWS_PROGRESS_INTERVAL = 60
# Prometheus metrics per site (crawler/crawl_metrics.py, docs/monitoring.md): served at
# http://GOVNEWS_METRICS_ADDRESS:GOVNEWS_METRICS_PORT/metrics while the process runs (0: not
# served), and written as a node_exporter textfile (a path ending in .prom; "": none) whenever a
# crawl ends. `govnews worker` and `govnews ingest` take the same settings for their own.
GOVNEWS_METRICS_PORT = 0
GOVNEWS_METRICS_ADDRESS = "127.0.0.1"
GOVNEWS_METRICS_TEXTFILE = ""
# Distinct `site` label values one process keeps; later ones are counted as site="other".
GOVNEWS_METRICS_MAX_SITES = 500
# Site health (archive/health.py, docs/monitoring.md): a site's latest crawl against its own
# earlier ones, judged by `govnews health` and at the end of every crawl (crawler/health.py).
GOVNEWS_HEALTH_HISTORY_RUNS = 10  # earlier completed crawls a crawl is compared with
GOVNEWS_HEALTH_MIN_NEW = 3  # new articles a crawl (and its history) needs before its weak share counts
GOVNEWS_HEALTH_WEAK_RISE = 0.3  # extraction degraded: weak records this share above the history's
GOVNEWS_HEALTH_FIELD_USUAL = 0.9  # a field "always given": in this share of the history's new records
GOVNEWS_HEALTH_FAILURE_RISE = 0.2  # failure rate up: failed fetches this share above the history's
GOVNEWS_HEALTH_MIN_FAILURES = 3  # failed fetches a crawl needs before its failure rate counts
GOVNEWS_HEALTH_STALE_FACTOR = 2.0  # `govnews health`: not crawled within this many times its interval
# Where a site's change of health is POSTed (empty: nowhere), in which format: json, slack,
# dingtalk or wecom (crawler/alerts.py), and how long the POST may take (seconds).
GOVNEWS_ALERT_WEBHOOK = ""
GOVNEWS_ALERT_FORMAT = "json"
GOVNEWS_ALERT_TIMEOUT = 10.0
# What a server may send before the body (crawler/limits.py): header lines, and their bytes.
GOVNEWS_MAX_RESPONSE_HEADERS = 500
GOVNEWS_MAX_RESPONSE_HEADER_BYTES = 256 * 1024

# The path of a page: raw capture first, then the pure stages, then the archive.
ITEM_PIPELINES = {
    "pipelines.stages.CapturePipeline": 100,
    "pipelines.stages.ExtractPipeline": 200,
    "pipelines.stages.NormalizePipeline": 300,
    "pipelines.stages.EnrichPipeline": 400,
    "pipelines.stages.IndexPipeline": 450,
    "pipelines.attachments.AttachmentsPipeline": 800,
    "pipelines.stages.ArchivePipeline": 900,
}

# Attachments (附件) linked from articles: downloaded during the crawl through the downloader
# middlewares (robots.txt, retries, politeness), kept once by digest (docs/attachments.md).
GOVNEWS_ATTACHMENT_ENABLED = True
# Bytes; a larger file is cancelled by the downloader and recorded with its error, not kept.
GOVNEWS_ATTACHMENT_MAXSIZE = 50 * 1024 * 1024
# "site": only files on the article's site (its hosts and their subdomains); "any": wherever linked.
GOVNEWS_ATTACHMENT_HOSTS = "site"
# True: fetch again attachments the archive already has for a page (default: no request).
GOVNEWS_ATTACHMENT_REFRESH = False

# Politeness: identify ourselves, obey robots.txt, adapt to the server. The User-Agent is
# govnews/VERSION (+GOVNEWS_CONTACT_URL), set by the add-on below; -s USER_AGENT=… replaces it.
GOVNEWS_CONTACT_URL = "https://github.com/govnews/govnews"
ADDONS = {"crawler.addon.UserAgentAddon": 0}
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
# Items a response's output is processed with in parallel; Scrapy starts that many tasks for
# every response, and an article page yields one item (100, the default, cost ~15 % of a crawl).
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 2
# Retries wait (crawler/retry.py): base × 2^(retry−1) s plus up to 25% jitter, at most the max;
# a 429/503 Retry-After is obeyed (one longer than the max is not retried in this crawl).
GOVNEWS_RETRY_BACKOFF_BASE = 1.0
GOVNEWS_RETRY_BACKOFF_MAX = 60.0
GOVNEWS_RETRY_BACKOFF_JITTER = 0.25
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
# Article pages that answer 4xx/5xx are still captured, so the archive sees them;
# 304 answers a conditional request for an archived page.
HTTPERROR_ALLOWED_CODES = [304, 404, 410, 412, 500, 502, 503, 521]

# JavaScript challenges (412/521 with a cookie-setting script) go through the browser once;
# the cookies are reused (crawler/browser.py). Each challenge doubles the site's delay.
DOWNLOADER_MIDDLEWARES = {
    # One off-site policy for every request, redirect hops and dont_filter ones included
    # (crawler/offsite.py), at the place of Scrapy's OffsiteMiddleware.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.offsite.SitePolicyMiddleware": 50,
    # Retries that wait (crawler/retry.py), at the place of Scrapy's RetryMiddleware.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.BackoffRetryMiddleware": 550,
    # Redirect loops end as a clear failure instead of a silent duplicate drop (crawler/redirect.py).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.redirect.LoopAwareRedirectMiddleware": 600,
    "crawler.browser.ChallengeMiddleware": 650,
}
GOVNEWS_CHALLENGE_ENABLED = True
GOVNEWS_CHALLENGE_RETRIES = 2  # browser passes per URL
GOVNEWS_CHALLENGE_STOP = 5  # challenges in a row after which the site's crawl stops
GOVNEWS_CHALLENGE_MAX_DELAY = 30  # seconds: the most the back-off slows a site to
GOVNEWS_CHALLENGE_SCRIPT_WAIT = 5  # seconds a challenge page's script may take in the browser

# Pages that need JavaScript go through scrapy-playwright with the system Chromium
# (Playwright cannot download its own browser on the machines we run on).
DOWNLOAD_HANDLERS = {
    # scrapy-playwright's handler, started at the first page that needs the browser (crawler/browser.py)
    "http": "crawler.browser.LazyPlaywrightDownloadHandler",
    "https": "crawler.browser.LazyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# What Chromium does not fetch for a rendered page: the DOM (with every <img src>) is what is
# archived, and each such request would reach the site beside the crawl's politeness delay.
GOVNEWS_BROWSER_SKIP_RESOURCES = ["image", "media", "font"]
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
