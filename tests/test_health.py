"""Site health end to end: three generated sites served on 127.0.0.1, crawled twice by real
`scrapy crawl` processes with a real webhook listening; between the crawls one site changes its
article template, one answers its list page with a maintenance notice, one only adds articles;
during the first crawl each process serves its per-site metrics, read while it crawls."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import BIN, finish, scrapy_crawl

from crawler.demo.server import free_port
from tests.support.cms import CmsServer, build_trs_site
from tests.support.metrics import scrape_while, value
from tests.support.webhook import WebhookServer

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

# An article page of the redesigned template: a headline, and neither the date line nor the
# body container (#zoom) the extractor and the TRS meta tags gave before.
REDESIGNED = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="newhead"><a href="/">首页</a></div>
<div class="newpage"><h2>{title}</h2><div class="tools">【打印】【关闭】</div></div>
<div class="footer">主办单位：华阳区人民政府办公室</div></body></html>
"""
MAINTENANCE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>系统维护中</title></head>'
    "<body><p>系统维护中，请稍后访问。</p></body></html>"
)


def crawl_all(names: list[str], db, sites_dir, webhook, *, scrape_metrics: bool = False) -> list[str]:
    """One `scrapy crawl` per site, at once. With `scrape_metrics`, each serves its metrics and the
    test reads them while the crawl runs: the site's own counters, under its name."""
    ports = {name: free_port() for name in names}
    processes = {
        name: scrapy_crawl(
            "-a",
            f"site={name}",
            "-s",
            f"GOVNEWS_SITES_DIRS={sites_dir}",
            "-s",
            f"GOVNEWS_ALERT_WEBHOOK={webhook.hook_url}",
            "-s",
            "GOVNEWS_ALERT_FORMAT=dingtalk",
            "-s",
            "GOVNEWS_STAGE_PROCESSES=0",
            *(["-s", f"GOVNEWS_METRICS_PORT={ports[name]}"] if scrape_metrics else []),
            db=db,
            wait=False,
        )
        for name in names
    }
    if scrape_metrics:
        for name, process in processes.items():
            found = scrape_while(
                process,
                ports[name],
                lambda found, name=name: (value(found, "govnews_pages_fetched_total", site=name) or 0) >= 1,
            )
            assert {labels for metric, labels in found if metric == "govnews_pages_fetched_total"} == {
                (("site", name),)
            }
    return [finish(process) for process in processes.values()]


def govnews_health(db, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "govnews"), "health", "--db", str(db), *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def three_sites(tmp_path):
    roots = {name: tmp_path / name for name in ("redesign", "maintenance", "steady")}
    specs = {name: build_trs_site(root, 6) for name, root in roots.items()}
    servers = {name: CmsServer(spec).start() for name, spec in specs.items()}
    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    for name, server in servers.items():
        config = {"name": name, "start_urls": [server.list_url], "interval": "6h"}
        (sites_dir / f"{name}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        yield roots, servers, sites_dir
    finally:
        for server in servers.values():
            server.stop()


def test_two_broken_sites_are_flagged_and_alerted_once_each(three_sites, tmp_path):
    roots, servers, sites_dir = three_sites
    db = tmp_path / "archive.db"
    names = list(roots)
    with WebhookServer() as webhook:
        crawl_all(names, db, sites_dir, webhook, scrape_metrics=True)  # each serves its own counters
        first = govnews_health(db, "--json", "--sites-dir", str(sites_dir))
        assert first.returncode == 0, first.stderr
        assert {h["site"]: h["status"] for h in json.loads(first.stdout)} == dict.fromkeys(names, "ok")
        assert webhook.bodies == []  # a first crawl alerts only a site that is not ok

        # The redesign: three new articles in a template without date line and body container.
        spec = build_trs_site(roots["redesign"], 9)
        new = [path for path in spec.articles if path not in build_trs_site(tmp_path / "six", 6).articles]
        assert len(new) == 3
        for path in new:
            (roots["redesign"] / path.lstrip("/")).write_text(
                REDESIGNED.format(title=spec.articles[path]), encoding="utf-8"
            )
        (roots["maintenance"] / "zwxx/xwdt/index.html").write_text(MAINTENANCE, encoding="utf-8")
        build_trs_site(roots["steady"], 9)

        crawl_all(names, db, sites_dir, webhook)
        second = govnews_health(db, "--json", "--sites-dir", str(sites_dir))
        table = govnews_health(db, "--sites-dir", str(sites_dir))
        alerts = list(webhook.bodies)
        crawl_all(names, db, sites_dir, webhook)  # nothing changed since: no status changed, no alert
        third = {h["site"]: h["status"] for h in json.loads(govnews_health(db, "--json").stdout)}
        assert webhook.bodies == alerts

    assert second.returncode == 2, second.stderr  # a failing site: exit status 2
    healths = {h["site"]: h for h in json.loads(second.stdout)}
    redesign, maintenance, steady = healths["redesign"], healths["maintenance"], healths["steady"]

    assert redesign["status"] == "warning"
    assert any(
        "Extraction degraded: 3 of the 3 new articles (100%) have weak records" in r for r in redesign["reasons"]
    )
    assert any(r.startswith("Extraction degraded: the publication date") for r in redesign["reasons"])  # URL's only
    assert redesign["articles_new"] == 3 and redesign["weak_share"] == 1.0 and redesign["weak_share_before"] == 0.0

    assert maintenance["status"] == "failing"
    [reason] = maintenance["reasons"]
    assert reason.startswith("The list pages yielded no article links in the last crawl (1 list page read)")
    assert "where earlier crawls found 6 on average" in reason

    assert (steady["status"], steady["reasons"], steady["articles_new"]) == ("ok", [], 3)
    for health in healths.values():
        assert health["last_crawl"] and health["articles_known"] >= 6
        assert [row["status"] for row in health["trend"]] == ["ok", health["status"]]

    # Exactly one alert per site whose status changed, in DingTalk's format.
    assert len(alerts) == 2
    assert all(set(body) == {"msgtype", "text"} and body["msgtype"] == "text" for body in alerts)
    contents = sorted(body["text"]["content"] for body in alerts)
    assert contents[0].startswith("govnews: site maintenance is failing (was ok)\n- The list pages yielded no")
    assert contents[1].startswith("govnews: site redesign is warning (was ok)\n- Extraction degraded")

    assert third == {"maintenance": "failing", "redesign": "warning", "steady": "ok"}

    # The table for people says the same.
    assert table.returncode == 2
    lines = table.stdout.splitlines()
    assert lines[1].startswith("maintenance      failing")
    assert lines[3].startswith("    - The list pages yielded no article links")
    assert any(line.startswith("steady           ok") for line in lines)

    # Each crawl stored its verdict and what the webhook said of its alert.
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select site, health, health_alert from crawl_runs order by id").fetchall()
    assert sorted(rows[3:6]) == [
        ("maintenance", "failing", "sent (dingtalk, HTTP 200)"),
        ("redesign", "warning", "sent (dingtalk, HTTP 200)"),
        ("steady", "ok", None),
    ]
    assert {health for _, health, _ in rows[:3]} == {"ok"}


def test_a_dead_webhook_never_fails_the_crawl(tmp_path):
    """The alert's POST to a port nobody listens on: logged and recorded, the crawl finishes."""
    spec = build_trs_site(tmp_path / "site", 4)
    db = tmp_path / "archive.db"
    with CmsServer(spec) as server:
        scrapy_crawl("-a", f"url={server.list_url}", db=db)
        (spec.root / "zwxx/xwdt/index.html").write_text(MAINTENANCE, encoding="utf-8")
        output = scrapy_crawl(
            "-a", f"url={server.list_url}", "-s", "GOVNEWS_ALERT_WEBHOOK=http://127.0.0.1:9/hook", db=db
        )
    site = urlsplit(server.list_url).netloc
    assert "'finish_reason': 'finished'" in output
    assert f"health alert for site {site} not sent: the webhook could not be reached" in output
    assert f"site {site} is failing: The list pages yielded no article links" in output
    with sqlite3.connect(db) as conn:
        status, health, alert = conn.execute(
            "select status, health, health_alert from crawl_runs order by id desc limit 1"
        ).fetchone()
    assert (status, health) == ("finished", "failing")
    assert alert.startswith("failed: the webhook could not be reached")


def test_a_first_crawl_that_is_not_ok_alerts_once_in_json(tmp_path):
    """robots.txt disallows the list page from the start: the first crawl is failing, and says so."""
    spec = build_trs_site(tmp_path / "site", 4)
    (spec.root / "robots.txt").write_text("User-agent: *\nDisallow: /zwxx/\n", encoding="utf-8")
    db = tmp_path / "archive.db"
    with CmsServer(spec) as server, WebhookServer() as webhook:
        site = urlsplit(server.list_url).netloc
        for _ in range(2):
            scrapy_crawl("-a", f"url={server.list_url}", "-s", f"GOVNEWS_ALERT_WEBHOOK={webhook.hook_url}", db=db)
        bodies = list(webhook.bodies)
    reason = (
        f"robots.txt now disallows 1 of the site's list pages ({server.list_url}): "
        "govnews obeys it, so their articles are no longer crawled."
    )
    assert len(bodies) == 1  # the second crawl is as failing as the first: no second alert
    assert bodies[0] == {
        "site": site,
        "status": "failing",
        "previous": None,
        "reasons": [reason],
        "run": 1,
        "text": f"govnews: site {site} is failing (first check)\n- {reason}",
    }
    result = govnews_health(db, "--json")
    assert result.returncode == 2
    [health] = json.loads(result.stdout)
    still = reason.replace("now disallows", "still disallows")
    assert (health["status"], health["reasons"], health["failures"]) == ("failing", [still], {"robots": 1})
