"""PTB's HTTP transport on aiohttp instead of httpx: the same BaseRequest contract, a third of the cost.

Why: profiling `make bench`'s Telegram suite showed half of the event loop's time inside httpx/httpcore
(per request: building a Request model, anyio stream wrappers, a pool scan over every connection). aiohttp's
client does the same work in C (http parser, multidict, yarl) and keeps idle connections in a deque.

Contract kept from HTTPXRequest, because the rest of the bot relies on it:
  - parameters go as one JSON object of string values (what form fields would carry), or as
    multipart/form-data when files are attached;
  - a timeout raises telegram.error.TimedOut; any failure below HTTP raises NetworkError whose text starts
    with ``aiohttp.`` (handlers.telegram.app.TRANSPORT_ERRORS: such a send may have been delivered, so it
    is never retried);
  - the token is never logged (aiohttp logs no URLs at INFO);
  - HTTP(S)_PROXY and NO_PROXY from the environment are honoured, as httpx honoured them.
Timeouts map as: pool + connect -> aiohttp ``connect`` (waiting for a pooled connection and opening it),
connect -> ``sock_connect``, read -> ``sock_read``; a write timeout bounds the whole request together with
the read timeout, since aiohttp has no separate write timeout.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram._utils.defaultvalue import DefaultValue

__all__ = ["AiohttpRequest"]

_JSON_HEADERS = {"Content-Type": "application/json"}


def _tls_context() -> ssl.SSLContext:
    """Certificates from certifi, as httpx verifies them, so a host without a system CA bundle still works."""
    try:
        import certifi
    except ImportError:  # PTB's httpx brings certifi; without it, the system store
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _sum(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else sum(parts)  # None means "no limit" in both libraries


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` on one aiohttp ClientSession with a bounded connection pool."""

    __slots__ = ("_pool_size", "_read", "_write", "_connect", "_pool", "_media_write", "_session", "_proxies",
                 "_proxy_of")

    def __init__(self, connection_pool_size: int = 4, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0):
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect = read_timeout, write_timeout, connect_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_of: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300, ssl=_tls_context())
            # Proxies come from _proxy_for() (read once), not trust_env: aiohttp's trust_env re-reads the
            # environment and ~/.netrc on every request, which doubled the cost of a send.
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  auto_decompress=True, raise_for_status=False, trust_env=False)
            self._proxies = {k.lower(): v for k, v in urllib.request.getproxies().items()}
            self._proxy_of = {}

    def _proxy_for(self, url: str) -> str | None:
        """HTTP(S)_PROXY / ALL_PROXY for the URL's scheme unless NO_PROXY exempts its host, as httpx did (many
        deployments reach api.telegram.org only through a proxy); decided once per URL (one per Bot API
        method), so a send does no URL parsing."""
        try:
            return self._proxy_of[url]
        except KeyError:
            pass
        parts = urllib.parse.urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if proxy and parts.hostname and urllib.request.proxy_bypass(parts.hostname):
            proxy = None
        if len(self._proxy_of) < 1024:  # file downloads have a URL each: remember the methods, not those
            self._proxy_of[url] = proxy
        return proxy

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _seconds(read_timeout, self._read)
        connect = _seconds(connect_timeout, self._connect)
        pool = _seconds(pool_timeout, self._pool)
        write = _seconds(write_timeout, self._media_write if files else self._write)
        timeout = aiohttp.ClientTimeout(total=None, connect=_sum(pool, connect), sock_connect=connect,
                                        sock_read=read)
        data: Any = None
        headers = None
        if fields and not files:
            # One JSON object of the string-valued fields: telegram-bot-api reads a string value exactly as
            # the same form field, and json.dumps is several times cheaper than percent-encoding CJK text.
            data, headers = request_data.json_payload, _JSON_HEADERS
        elif files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, upload in files.items():
                if isinstance(upload, tuple):  # (filename, content, mime type)
                    filename, content, *mime = upload
                    form.add_field(name, content, filename=filename, content_type=mime[0] if mime else None)
                else:
                    form.add_field(name, upload)
            data = form
        try:
            async with asyncio.timeout(_sum(write, read, connect, pool)):
                async with self._session.request(method, url, data=data, headers=headers, timeout=timeout,
                                                 proxy=self._proxy_for(url)) as response:
                    return response.status, await response.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Raised below HTTP (refused, reset, a broken response): the text prefix marks it as transport.
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
