"""What an archive holds and what it costs: `govnews stats`."""

from __future__ import annotations

from archive.store import Archive


def archive_stats(archive: Archive) -> dict:
    db = archive.db

    def one(sql: str) -> int:
        return db.execute(sql).fetchone()[0] or 0

    page_size = one("pragma page_size")
    used_bytes = (one("pragma page_count") - one("pragma freelist_count")) * page_size
    versions = one("select count(*) from versions")
    table_bytes = {
        row[0]: row[1]
        for row in db.execute(
            "select coalesce(t.tbl_name, d.name), sum(d.pgsize) from dbstat d "
            "left join sqlite_master t on t.name = d.name group by 1 order by 2 desc"
        )
    }
    return {
        "pages": one("select count(*) from pages"),
        "pages_gone": one("select count(*) from pages where status = 'gone'"),
        "pages_moved": one("select count(*) from pages where status = 'moved'"),
        "versions": versions,
        "snapshots": one("select count(*) from snapshots"),
        "distinct_bodies": one("select count(*) from bodies"),
        "delta_bodies": one("select count(*) from bodies where base_sha256 is not null"),
        "failures": one("select count(*) from failures"),
        "crawl_runs": one("select count(*) from crawl_runs"),
        "raw_bytes_fetched": one("select sum(body_size) from snapshots"),
        "raw_bytes_distinct": one("select sum(size) from bodies"),
        "raw_bytes_stored": one("select sum(length(data)) from bodies"),
        "archive_bytes": used_bytes,
        "archive_bytes_per_version": round(used_bytes / versions) if versions else None,
        "table_bytes": table_bytes,
    }


def format_stats(stats: dict) -> str:
    def size(n: float | None) -> str:  # type: ignore[return]  # the loop always returns, at "GiB" at the latest
        if n is None:
            return "-"
        for unit in ("B", "KiB", "MiB", "GiB"):
            if n < 1024 or unit == "GiB":
                return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
            n /= 1024

    fetched, stored = stats["raw_bytes_fetched"], stats["raw_bytes_stored"]
    lines = [
        f"pages            {stats['pages']:>10,}  ({stats['pages_gone']:,} gone, {stats['pages_moved']:,} moved)",
        f"versions         {stats['versions']:>10,}",
        f"snapshots        {stats['snapshots']:>10,}  ({stats['distinct_bodies']:,} distinct bodies, "
        f"{stats['delta_bodies']:,} stored as deltas)",
        f"failures         {stats['failures']:>10,}",
        f"crawl runs       {stats['crawl_runs']:>10,}",
        f"raw fetched      {size(fetched):>10}  stored as {size(stored)}"
        + (f" ({stored / fetched:.1%})" if fetched else ""),
        f"archive          {size(stats['archive_bytes']):>10}  {size(stats['archive_bytes_per_version'])} per version",
        "by table:",
    ]
    lines += [f"  {name:<15}{size(n):>10}" for name, n in stats["table_bytes"].items()]
    return "\n".join(lines)
