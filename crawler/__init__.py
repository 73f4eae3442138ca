"""govnews: crawl Chinese local-government news into a versioned archive."""

__version__ = "0.3.2"
