"""Health alerts to a chat webhook: the message, its payload in each format, and the POST.

Formats (GOVNEWS_ALERT_FORMAT):

- ``json``: the generic form, ``{"site", "status", "previous", "reasons", "run", "text"}``;
- ``slack``: a Slack-compatible incoming webhook, ``{"text": …}`` (Mattermost, Rocket.Chat and
  Discord's ``/slack`` endpoint read the same);
- ``dingtalk``: a DingTalk (钉钉) custom robot, ``{"msgtype": "text", "text": {"content": …}}``;
- ``wecom``: a WeCom (企业微信) group robot, ``{"msgtype": "text", "text": {"content": …}}``, the
  content cut to the 2,048 bytes it accepts.

The POST is plain urllib with a short timeout, run by the caller off the reactor's thread
(crawler/health.py); any failure is an exception whose message says why, never a crash.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

FORMATS = ("json", "slack", "dingtalk", "wecom")
WECOM_MAX_BYTES = 2048

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertConfig:
    """Where alerts go (settings GOVNEWS_ALERT_WEBHOOK, _FORMAT, _TIMEOUT)."""

    webhook: str
    format: str
    timeout: float

    @classmethod
    def from_settings(cls, settings) -> AlertConfig:
        config = cls(
            settings.get("GOVNEWS_ALERT_WEBHOOK"),
            settings.get("GOVNEWS_ALERT_FORMAT"),
            settings.getfloat("GOVNEWS_ALERT_TIMEOUT"),
        )
        if config.webhook and config.format not in FORMATS:  # said at the start, not only at the first alert
            logger.error(
                "GOVNEWS_ALERT_FORMAT %r is unknown (give one of %s): no alert can be sent",
                config.format,
                ", ".join(FORMATS),
            )
        return config


class AlertError(ValueError):
    """A webhook that did not take the alert: the message says why."""


def alert_text(site: str, status: str, previous: str | None, reasons: list[str]) -> str:
    """The alert as people read it: what changed, then each reason on its own line."""
    was = f"was {previous}" if previous else "first check"
    lines = [f"govnews: site {site} is {status} ({was})"]
    lines += [f"- {reason}" for reason in reasons] or ["- every check passed again"]
    return "\n".join(lines)


def payload(fmt: str, *, site: str, status: str, previous: str | None, reasons: list[str], run: int | None) -> dict:
    """The body POSTed to a webhook of format `fmt` (one of FORMATS)."""
    text = alert_text(site, status, previous, reasons)
    if fmt == "json":
        return {"site": site, "status": status, "previous": previous, "reasons": reasons, "run": run, "text": text}
    if fmt == "slack":
        return {"text": text}
    if fmt == "dingtalk":
        return {"msgtype": "text", "text": {"content": text}}
    if fmt == "wecom":
        content = text.encode("utf-8")[:WECOM_MAX_BYTES].decode("utf-8", errors="ignore")
        return {"msgtype": "text", "text": {"content": content}}
    raise AlertError(f"unknown GOVNEWS_ALERT_FORMAT {fmt!r}: give one of {', '.join(FORMATS)}")


def post(url: str, body: dict, timeout: float) -> str:
    """POST `body` as JSON to `url`; what the webhook answered (`HTTP 200`), or AlertError."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the operator's URL
            answer = response.read(64 * 1024)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise AlertError(f"the webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise AlertError(f"the webhook could not be reached: {reason}") from exc
    # DingTalk and WeCom answer 200 and say in the body when they refused a message.
    try:
        errcode = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        errcode = 0
    if errcode:
        raise AlertError(
            f"the webhook answered HTTP {status} with errcode {errcode}: {answer[:200].decode('utf-8', 'replace')}"
        )
    return f"HTTP {status}"


def deliver(config: AlertConfig, *, site: str, status: str, previous: str | None, reasons: list[str], run: int) -> str:
    """Send one alert (blocking, at most `config.timeout`); what the run's `health_alert` says of
    it. Never raises: a webhook that fails is a warning in the log."""
    if not config.webhook:
        return "no webhook set"
    try:
        body = payload(config.format, site=site, status=status, previous=previous, reasons=reasons, run=run)
        answer = post(config.webhook, body, config.timeout)
    except AlertError as exc:
        logger.warning("health alert for site %s not sent: %s", site, exc)
        return f"failed: {exc}"
    logger.info("health alert for site %s sent (%s)", site, answer)
    return f"sent ({config.format}, {answer})"
