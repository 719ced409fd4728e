"""The results store: every run in one database, SQLite by default, PostgreSQL for a lab.

Result files stay the portable record; the store is the history to query. See docs/LAB.md.
"""

from bench.store.query import Where, parse_where
from bench.store.rows import StoredPoint, StoredRun
from bench.store.store import Saved, SaveResult, Store, open_store
from bench.store.url import display_url, store_url

__all__ = [
    "SaveResult",
    "Saved",
    "Store",
    "StoredPoint",
    "StoredRun",
    "Where",
    "display_url",
    "open_store",
    "parse_where",
    "store_url",
]
