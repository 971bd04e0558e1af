"""Every cache of the app is made here, and `clear()` empties them all.

For the whole process:

- `memoize(maxsize)`: a function's results by its arguments (cachetools' LRU cache
  behind a lock; `maxsize=None`: unbounded). For what depends on the arguments alone:
  parsed invite links, cookie headers, the inline stylesheets, the favicon.

For each app (kept in `app.extensions`, as what they hold depends on its settings):

- `refreshed(name, ttl)`: a value read from an outside service, fresh for `ttl`
  seconds; while a new read fails, the last value read stays in use. For what Stripe
  holds: the prices and the new-user offer.
- `memo(name, maxsize)`: values made once per key, the least recently used going first
  (cachetools' LRU cache behind a lock). For the rendered landing pages.

`clear()` is what the catalog bootstrap, the demo reset and the tests call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, cast

from cachetools import LRUCache, cached, keys
from flask import current_app, has_app_context

log = logging.getLogger(__name__)

EXTENSION = "moonly.caches"

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")


class Memoized(Protocol[P, R_co]):
    """A memoized function: call it as the function; its cache can be looked at."""

    cache: MutableMapping[Any, Any]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def cache_clear(self) -> None: ...


_memoized: list[Memoized[..., Any]] = []


def memoize(
    maxsize: int | None, key: Callable[..., Hashable] = keys.hashkey
) -> Callable[[Callable[P, R]], Memoized[P, R]]:
    """Keep a function's results for the process, the least recently used going first
    past `maxsize` (None: keep all); `key` picks what of the arguments identifies
    one."""

    def decorate(function: Callable[P, R]) -> Memoized[P, R]:
        store: MutableMapping[Any, Any] = {} if maxsize is None else LRUCache(maxsize)
        memoized: Memoized[P, R] = cached(store, key=key, lock=threading.Lock())(
            function
        )
        _memoized.append(memoized)
        return memoized

    return decorate


class Refreshed(Generic[T]):
    """A value read from an outside service: fresh for `ttl` seconds; when a read fails,
    the last value read is served (and the next call reads again)."""

    def __init__(self, name: str, ttl: float, keep: Callable[[T], bool]) -> None:
        self.name = name
        self.ttl = ttl
        self.keep = keep
        self._kept: tuple[T, float] | None = None  # the value, and when it was read

    def get(self, read: Callable[[], T], errors: type[Exception]) -> T:
        """The kept value while fresh, else `read()`. When `read` raises `errors`, the
        value kept (stale), or the error itself when nothing is kept."""
        now = time.monotonic()
        kept = self._kept
        if kept is not None and now - kept[1] < self.ttl:
            return kept[0]
        try:
            value = read()
        except errors as error:
            log.warning("Could not refresh %s: %s", self.name, type(error).__name__)
            if kept is None:
                raise
            return kept[0]
        self._kept = (value, now) if self.keep(value) else None
        return value

    def clear(self) -> None:
        self._kept = None


_MISSING = object()


class Memo(Generic[T]):
    """Values made once per key and kept, at most `maxsize` of them."""

    def __init__(self, maxsize: int) -> None:
        self.cache: LRUCache[Hashable, T] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for `key`, else `make()` (kept from now on)."""
        with self._lock:
            found = self.cache.get(key, _MISSING)
        if found is not _MISSING:
            return cast(T, found)
        value = make()
        with self._lock:
            self.cache[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self.cache.clear()


class _AppCache(Protocol):
    def clear(self) -> None: ...


def _app_cache(name: str, make: Callable[[], _AppCache]) -> Any:
    caches: dict[str, _AppCache] = current_app.extensions.setdefault(EXTENSION, {})
    if name not in caches:
        caches.setdefault(name, make())
    return caches[name]


def _always(value: object) -> bool:
    return True


def refreshed(
    name: str, ttl: float, keep: Callable[[T], bool] = _always
) -> Refreshed[T]:
    """The current app's cache `name`, made on first use; `keep` says which values read
    are worth keeping (an empty answer may not be)."""
    cache: Refreshed[T] = _app_cache(name, lambda: Refreshed(name, ttl, keep))
    return cache


def memo(name: str, maxsize: int) -> Memo[Any]:
    """The current app's memo `name`, made on first use."""
    cache: Memo[Any] = _app_cache(name, lambda: Memo(maxsize))
    return cache


def clear() -> None:
    """Empty every cache: the process's, and the current app's when there is one."""
    for memoized in _memoized:
        memoized.cache_clear()
    if has_app_context():
        for cache in current_app.extensions.get(EXTENSION, {}).values():
            cache.clear()
