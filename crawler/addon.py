"""The project's Scrapy add-on: settings derived from other settings, at "addon" priority."""

from __future__ import annotations

from crawler import __version__


class UserAgentAddon:
    """USER_AGENT is govnews/VERSION (+GOVNEWS_CONTACT_URL), so `-s GOVNEWS_CONTACT_URL=…` reaches
    it; a USER_AGENT given outright (`-s USER_AGENT=…`, a project setting) wins, its priority being
    higher than an add-on's."""

    def update_settings(self, settings) -> None:
        settings.set("USER_AGENT", f"govnews/{__version__} (+{settings['GOVNEWS_CONTACT_URL']})", priority="addon")
