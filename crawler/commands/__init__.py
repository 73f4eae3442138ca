"""Scrapy commands of the project (`COMMANDS_MODULE` in crawler/settings.py)."""
