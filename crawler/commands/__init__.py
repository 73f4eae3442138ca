"""The project's Scrapy commands (COMMANDS_MODULE): `crawl` with graceful-stop exit statuses."""
