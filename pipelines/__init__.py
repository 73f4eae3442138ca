"""The stages of a page's path: extract → normalize → enrich (pure functions)
and the thin Scrapy item pipelines that wrap them (`pipelines.stages`)."""
