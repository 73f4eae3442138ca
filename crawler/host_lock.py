"""One crawl per host at a time, across workers and machines: locks in Redis with a TTL.

A job holds a lock on each host[:port] its site's start URLs name before its crawl starts,
renews them every third of their TTL while the crawl runs, and lets them go when it ends. All
of a job's hosts are taken in one step or none (two jobs sharing two hosts cannot each hold
one and wait for the other). A worker that dies stops renewing: its locks lapse after the TTL,
the time after which its job also runs again (GOVNEWS_QUEUE_DEAD_AFTER).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from crawler.redis_client import CONNECTION_ERRORS, host_key

logger = logging.getLogger(__name__)

TAKE_ALL = """
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] then return holder end
end
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return false
"""
RENEW = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 1
"""
RELEASE = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 1
"""


def site_hosts(start_urls: list[str]) -> list[str]:
    """The servers a site's crawl talks to: host[:port] of its start URLs, lower-cased."""
    hosts = set()
    for url in start_urls:
        parts = urlsplit(url)
        if parts.hostname:
            hosts.add(parts.hostname + (f":{parts.port}" if parts.port else ""))
    return sorted(hosts)


class HostLocks:
    def __init__(self, client, hosts: list[str], owner: str, ttl: float):
        self.client, self.owner, self.ttl = client, owner, ttl
        self.keys = [host_key(h) for h in sorted(set(hosts))]
        self._take = client.register_script(TAKE_ALL)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    def try_take(self) -> str | None:
        """Take every lock, or none; the holder that stood in the way, or None when taken."""
        holder = self._take(keys=self.keys, args=[self.owner, int(self.ttl * 1000)])
        return holder.decode() if isinstance(holder, bytes) else holder

    @contextmanager
    def held(self, poll: float = 1.0):
        """Wait until every lock is ours, keep them while the block runs, then let them go."""
        said = None
        while True:
            try:
                holder = self.try_take()
            except CONNECTION_ERRORS as exc:
                holder = f"(Redis unreachable: {exc})"
            if holder is None:
                break
            if holder != said:
                logger.info("waiting for %s: held by job %s", ", ".join(self.keys), holder)
                said = holder
            time.sleep(poll)
        stop = threading.Event()
        renewer = threading.Thread(target=self._keep, args=(stop,), name="host-locks", daemon=True)
        renewer.start()
        try:
            yield self
        finally:
            stop.set()
            renewer.join()
            try:
                self._release(keys=self.keys, args=[self.owner])
            except CONNECTION_ERRORS:  # they lapse by themselves
                logger.warning("could not release %s; they lapse in %s s", ", ".join(self.keys), self.ttl)

    def _keep(self, stop: threading.Event) -> None:
        while not stop.wait(self.ttl / 3):
            try:
                self._renew(keys=self.keys, args=[self.owner, int(self.ttl * 1000)])
            except CONNECTION_ERRORS as exc:
                logger.warning("could not renew the host locks (%s); trying again", exc)
