"""archive/health.py on real archives written through the Archive API: each reason, the quiet
site that is no alarm, and the alert payloads of crawler/alerts.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from archive.health import FAILING, OK, WARNING, archive_health, site_health
from archive.store import Archive
from crawler.alerts import AlertError, payload, post
from crawler.health import health_config
from crawler.record import Record
from crawler.run import govnews_settings
from tests.support.webhook import WebhookServer

FULL_TEXT = "区委常委会召开会议，研究部署全区重点工作。" * 8


class Site:
    """One site's crawls, written as a crawl writes them."""

    def __init__(self, archive: Archive, name: str = "weidu"):
        self.archive, self.name, self.next_article = archive, name, 1

    def crawl(
        self,
        *,
        new: int = 0,
        weak: int = 0,
        list_links: int | None = None,
        failures: list[tuple[str, str]] = (),
        list_failures: list[str] = (),
        status: str = "finished",
        list_pages: int = 1,
        fetched_ok: int | None = None,
        without: tuple[str, ...] = (),
        url_dates: bool = False,
    ) -> int:
        archive = self.archive
        run = archive.start_run("site", self.name, [f"http://{self.name}.gov.cn/list.html"])
        for i in range(new):
            k = self.next_article
            self.next_article += 1
            url = f"http://{self.name}.gov.cn/art/{k}.html"
            snapshot = archive.add_snapshot(
                url=url, status=200, headers={}, body=f"<p>{k}</p>".encode(), site=self.name, crawl_run_id=run
            )
            is_weak = i < weak
            record = Record(
                url=url,
                title=None if "title" in without else f"第{k}篇",
                published_at=None if is_weak or "published_at" in without else "2024-05-01",
                source="区政府办",
                text="短" if is_weak else FULL_TEXT + str(k),
            )
            if is_weak:
                record.warnings = ["no_date", "short_body"]
            elif url_dates:  # as the extractor leaves a page without a date line: the URL's date
                record.warnings = ["date_from_url"]
            archive.add_record(record, site=self.name, snapshot_id=snapshot, crawl_run_id=run)
        for _ in range(fetched_ok or 0):
            archive.add_snapshot(
                url=f"http://{self.name}.gov.cn/ok.html", status=200, headers={}, body=b"x", crawl_run_id=run
            )
        for url, error in failures:
            archive.add_failure(url=url, stage="fetch", error=error, crawl_run_id=run)
        for url in list_failures:
            archive.add_failure(url=url, stage="list", error="IgnoreRequest: Forbidden by robots.txt", crawl_run_id=run)
        links = list_links if list_links is not None else new + 5
        archive.finish_run(run, status, {"list_pages": list_pages, "list_links": links})
        return run


@pytest.fixture
def archive(tmp_path):
    archive = Archive(tmp_path / "archive.db")
    yield archive
    archive.close()


@pytest.fixture
def webhook():
    with WebhookServer() as server:
        yield server


CONFIG = health_config(govnews_settings())  # the thresholds' defaults: crawler/settings.py


def health(archive, site="weidu", **kwargs):
    return site_health(archive.db, site, CONFIG, **kwargs)


def test_a_site_crawled_as_usual_is_ok(archive):
    site = Site(archive)
    for _ in range(3):
        site.crawl(new=5)
    result = health(archive)
    assert (result.status, result.reasons) == (OK, [])
    assert result.articles_new == 5 and result.articles_known == 15 and result.weak_share == 0
    assert [row["new_articles"] for row in result.trend] == [5, 5, 5]


def test_a_quiet_site_is_no_alarm(archive):
    """No new article, but the list pages still link the known ones: a quiet week, not a break."""
    site = Site(archive)
    site.crawl(new=6)
    site.crawl(new=0, list_links=6)
    site.crawl(new=0, list_links=6)
    result = health(archive)
    assert (result.status, result.reasons) == (OK, [])
    assert result.articles_new == 0


def test_list_pages_without_links_where_they_had_some_fail_the_site(archive):
    site = Site(archive)
    site.crawl(new=6, list_links=12)
    site.crawl(new=0, list_links=0)  # a maintenance notice served with 200
    result = health(archive)
    assert result.status == FAILING
    [reason] = result.reasons
    assert "no article links" in reason and "12 on average" in reason and "1 list page read" in reason
    assert result.since == result.trend[-1]["started_at"]  # failing since this crawl, ok before it


def test_a_site_that_never_had_links_is_not_judged_on_them(archive):
    site = Site(archive)
    site.crawl(new=0, list_links=0)
    site.crawl(new=0, list_links=0)
    assert health(archive).status == OK


def test_weak_records_well_above_the_history_degrade_extraction(archive):
    site = Site(archive)
    site.crawl(new=6, weak=0)
    site.crawl(new=5, weak=1)
    site.crawl(new=4, weak=4)
    result = health(archive)
    assert result.status == WARNING
    weak = [r for r in result.reasons if "weak records" in r]
    assert weak and weak[0].startswith("Extraction degraded: 4 of the 4 new articles (100%)")
    assert "no_date 4" in weak[0] and "short_body 4" in weak[0] and "against 9% in earlier crawls" in weak[0]
    # the date those crawls always had is missing too: its own reason
    assert any(
        "the publication date (a date only in the URL does not count) is missing from 4 of the 4" in r
        for r in result.reasons
    )


def test_a_quiet_crawl_neither_hides_nor_clears_a_template_change(archive):
    site = Site(archive)
    site.crawl(new=6)
    site.crawl(new=3, weak=3)
    site.crawl(new=0, list_links=9)  # nothing new since the redesign: its articles still say so
    result = health(archive)
    assert result.status == WARNING
    assert result.reasons[0].startswith("Extraction degraded: 3 of the 3 new articles of the last 2 crawls (100%)")
    assert result.since == result.trend[1]["started_at"]
    site.crawl(new=4)  # fixed: the next articles are whole again
    assert health(archive).status == OK


def test_a_site_always_weak_is_judged_against_itself(archive):
    """A site whose pages never state a date: weak records are its normal, no alarm."""
    site = Site(archive)
    for _ in range(3):
        site.crawl(new=4, weak=4)
    assert health(archive).status == OK


def test_a_few_new_articles_are_no_trend(archive):
    site = Site(archive)
    site.crawl(new=6)
    site.crawl(new=2, weak=2)  # fewer than GOVNEWS_HEALTH_MIN_NEW (3)
    assert health(archive).status == OK


def test_a_date_only_in_the_url_is_a_missing_date(archive):
    site = Site(archive)
    site.crawl(new=5)
    site.crawl(new=4, url_dates=True)
    [reason] = health(archive).reasons
    assert reason.startswith("Extraction degraded: the publication date (a date only in the URL does not count)")
    assert "missing from 4 of the 4 new articles" in reason


def test_a_field_the_site_always_gave_now_missing(archive):
    site = Site(archive)
    site.crawl(new=5)
    site.crawl(new=4, without=("title",))
    result = health(archive)
    assert result.status == WARNING
    assert result.reasons == [
        "Extraction degraded: the title is missing from 4 of the 4 new articles, "
        "where earlier crawls found it in 100% of theirs."
    ]


def test_failure_rate_up(archive):
    site = Site(archive)
    site.crawl(new=5, failures=[("http://weidu.gov.cn/a.html", "HTTP 500")])
    timeouts = [(f"http://weidu.gov.cn/t{i}.html", "DownloadTimeoutError: Getting … took longer") for i in range(4)]
    site.crawl(new=2, failures=[*timeouts, ("http://weidu.gov.cn/c.html", "HTTP 412")])
    result = health(archive)
    assert result.status == WARNING
    [reason] = result.reasons
    assert reason.startswith("Failure rate up: 5 of 7 fetches failed in the last crawl (71%: timeout 4, challenge 1)")
    assert result.failures == {"timeout": 4, "challenge": 1}


def test_a_site_whose_every_fetch_failed_is_failing(archive):
    site = Site(archive)
    site.crawl(new=5)
    site.crawl(new=0, list_links=5, failures=[(f"http://weidu.gov.cn/{i}.html", "HTTP 503") for i in range(5)])
    result = health(archive)
    assert result.status == FAILING and result.reasons[0].startswith("Failure rate up: 5 of 5 fetches")


def test_usual_failures_are_no_alarm(archive):
    site = Site(archive)
    for _ in range(3):
        site.crawl(new=5, failures=[(f"http://weidu.gov.cn/{i}.html", "HTTP 500") for i in range(3)])
    assert health(archive).status == OK


def test_robots_now_disallowing_the_list_pages(archive):
    site = Site(archive)
    site.crawl(new=5)
    site.crawl(new=0, list_pages=0, list_links=0, list_failures=["http://weidu.gov.cn/list.html"])
    result = health(archive)
    assert result.status == FAILING
    assert result.reasons == [
        "robots.txt now disallows 1 of the site's list pages (http://weidu.gov.cn/list.html): "
        "govnews obeys it, so their articles are no longer crawled."
    ]
    assert result.failures == {"robots": 1}
    site.crawl(new=0, list_pages=0, list_links=0, list_failures=["http://weidu.gov.cn/list.html"])
    assert health(archive).reasons[0].startswith("robots.txt still disallows 1 of the site's list pages")


def test_a_crawl_refused_by_challenges(archive):
    site = Site(archive)
    site.crawl(new=5)
    archive_run = site.crawl(new=0, list_links=5, status="challenge_refused")
    archive.db.execute("update crawl_runs set detail = 'www.weidu.gov.cn kept refusing' where id = ?", [archive_run])
    result = health(archive)
    assert result.status == FAILING
    assert result.reasons[0].startswith("The last crawl stopped early (challenge_refused: www.weidu.gov.cn kept")


def test_not_crawled_within_twice_its_interval(archive):
    site = Site(archive)
    site.crawl(new=5)
    now = datetime.now(timezone.utc)
    assert health(archive, interval=timedelta(hours=6), now=now + timedelta(hours=11)).status == OK
    late = health(archive, interval=timedelta(hours=6), now=now + timedelta(hours=13))
    assert late.status == WARNING
    assert late.reasons[0].startswith("Not crawled for 13.0 hours, more than 2 times its interval of 6.0 hours")
    started = datetime.fromisoformat(late.trend[-1]["started_at"])
    assert datetime.fromisoformat(late.since) == started + timedelta(hours=12)  # overdue since then


def test_interrupted_crawls_are_not_judged(archive):
    site = Site(archive)
    site.crawl(new=5)
    site.crawl(new=0, list_links=0, status="interrupted")
    result = health(archive)
    assert result.status == OK and result.last_run_status == "interrupted"


def test_every_site_worst_first(archive):
    Site(archive, "alpha").crawl(new=5)
    broken = Site(archive, "beta")
    broken.crawl(new=5)
    broken.crawl(list_links=0)
    assert [(h.site, h.status) for h in archive_health(archive.db, CONFIG)] == [("beta", FAILING), ("alpha", OK)]


def test_the_thresholds_are_the_settings(archive):
    assert CONFIG.min_new == 3 and CONFIG.history_runs == 10 and CONFIG.weak_rise == 0.3
    site = Site(archive)
    for _ in range(3):
        site.crawl(new=4)
    site.crawl(new=4, weak=4)
    assert health(archive).status == WARNING
    # 16 new articles in all four crawls: too few to judge the share with this threshold
    lenient = health_config(govnews_settings(GOVNEWS_HEALTH_MIN_NEW="20"))
    assert site_health(archive.db, "weidu", lenient).status == OK


def test_a_threshold_that_is_not_a_number_is_named():
    with pytest.raises(ValueError, match="GOVNEWS_HEALTH_WEAK_RISE must be a number, not 'high'"):
        health_config(govnews_settings(GOVNEWS_HEALTH_WEAK_RISE="high"))


def test_the_run_keeps_its_new_article_counts(archive):
    run = Site(archive).crawl(new=4, weak=3)
    row = archive.db.execute(
        "select new_articles, weak_records, warnings, list_links from crawl_runs where id = ?", [run]
    ).fetchone()
    assert row[:2] == (4, 3) and json.loads(row[2]) == {"no_date": 3, "short_body": 3} and row[3] == 9


# --- alerts ----------------------------------------------------------------------------------

REASONS = ["The list pages yielded no article links in the last crawl."]


def test_alert_payloads():
    args = {"site": "weidu", "status": "failing", "previous": "ok", "reasons": REASONS, "run": 7}
    text = "govnews: site weidu is failing (was ok)\n- The list pages yielded no article links in the last crawl."
    assert payload("json", **args) == {**args, "text": text}
    assert payload("slack", **args) == {"text": text}
    assert payload("dingtalk", **args) == {"msgtype": "text", "text": {"content": text}}
    assert payload("wecom", **args) == {"msgtype": "text", "text": {"content": text}}
    assert payload("json", **{**args, "previous": None})["text"].startswith(
        "govnews: site weidu is failing (first check)"
    )
    with pytest.raises(AlertError, match="unknown GOVNEWS_ALERT_FORMAT 'teams'"):
        payload("teams", **args)


def test_wecom_content_is_cut_to_what_it_accepts():
    long = ["区委常委会召开会议" * 200]
    content = payload("wecom", site="weidu", status="warning", previous="ok", reasons=long, run=1)["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and content.startswith("govnews: site weidu is warning")


def test_a_webhook_that_refuses_is_an_alert_error(webhook):
    webhook.answer = (200, b'{"errcode": 310000, "errmsg": "keywords not in content"}')
    with pytest.raises(AlertError, match="errcode 310000"):
        post(webhook.hook_url, {"msgtype": "text"}, timeout=5)
    webhook.answer = (500, b"")
    with pytest.raises(AlertError, match="HTTP 500"):
        post(webhook.hook_url, {"text": "x"}, timeout=5)
    webhook.answer = (200, b'{"errcode": 0}')
    assert post(webhook.hook_url, {"text": "x"}, timeout=5) == "HTTP 200"
    assert list(webhook.bodies) == [{"msgtype": "text"}, {"text": "x"}, {"text": "x"}]


def test_a_dead_webhook_is_an_alert_error():
    with pytest.raises(AlertError, match="could not be reached"):
        post("http://127.0.0.1:9/hook", {"text": "x"}, timeout=2)
