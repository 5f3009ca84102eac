"""Is the model asked for one the server serves? Checked once per base URL (``GET /models``).

llama-server answers any ``model`` name with the model it loaded, so a typo or a
model from another backend (``model="gpt-4o-mini"``) is accepted silently and
the answers come from somewhere else than the code says. Where the profile sets
``served_models_check``, the first chat call to a base URL asks the server for
its model list (bounded by the model's timeout, at most :data:`CHECK_TIMEOUT`),
keeps it for the process, and refuses a model that is not in it with
:class:`~langchain_compat.errors.ModelNotServedError`, naming what is served.

A server that cannot be asked (down, no ``/models``, an error) is not judged: the
chat request goes on and reports its own error. A failure is remembered for
:data:`RETRY_AFTER_FAILURE` seconds so a down server is not asked twice per call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx

from langchain_compat.connection.hints import shown_url
from langchain_compat.errors import ModelNotServedError
from langchain_compat.transport.driver import HTTPDriver

__all__ = ["CHECK_TIMEOUT", "acheck_served", "acheck_served_model", "check_served",
           "check_served_model", "clear_served_cache"]

logger = logging.getLogger(__name__)

#: Longest the model-list request may take (the model's own timeout when shorter).
CHECK_TIMEOUT = 10.0
#: Seconds a base URL whose list could not be read is not asked again.
RETRY_AFTER_FAILURE = 60.0

_lock = threading.Lock()
_served: dict[str, tuple[str, ...]] = {}
_failed: dict[str, float] = {}


def clear_served_cache() -> None:
    """Forget the model lists read so far (tests; a server restarted with another model)."""
    with _lock:
        _served.clear()
        _failed.clear()


def _ids(body: Any) -> tuple[str, ...]:
    """Model ids from an OpenAI ``{"data": [{"id"}]}`` list (or Ollama's ``{"models": [...]}``)."""
    if not isinstance(body, dict):
        raise TypeError("the model list is not a JSON object")
    items = body.get("data") if isinstance(body.get("data"), list) else body.get("models")
    if not isinstance(items, list):
        raise TypeError("no 'data' list in the model list")
    ids = [item.get("id") or item.get("model") or item.get("name") for item in items
           if isinstance(item, dict)]
    return tuple(str(i) for i in ids if i)


def _timeout(driver: HTTPDriver) -> float:
    ep = driver.ep
    limits = [CHECK_TIMEOUT, ep.total_timeout, ep.timeout.read, ep.timeout.connect]
    return min(t for t in limits if t is not None)


def _todo(driver: HTTPDriver, model: str | None, enabled: bool) -> bool:
    """Whether the list must be read now (not cached, not failed recently)."""
    if not enabled or not model:
        return False
    base = driver.ep.base_url
    with _lock:
        return base not in _served and time.monotonic() >= _failed.get(base, 0.0)


def _judge(driver: HTTPDriver, model: str, body: Any, error: Exception | None) -> None:
    """Remember the list (or the failure), then refuse ``model`` if it is not served."""
    base = driver.ep.base_url
    served: tuple[str, ...] | None = None
    if error is None:
        try:
            served = _ids(body)
        except TypeError as exc:
            error = exc
    with _lock:
        if served is None:
            _failed[base] = time.monotonic() + RETRY_AFTER_FAILURE
        else:
            _served[base] = served
    if error is not None:
        logger.info("model check: %s/models could not be read (%s); not checked",
                    base, type(error).__name__)
    _refuse(driver, model)


def _refuse(driver: HTTPDriver, model: str) -> None:
    ep = driver.ep
    with _lock:
        served = _served.get(ep.base_url)
    if served and model not in served:
        raise ModelNotServedError(model, served, base_url=shown_url(ep.base_url),
                                  provider=ep.provider)


def check_served_model(driver: HTTPDriver, model: str | None, *, enabled: bool) -> None:
    """Refuse ``model`` when the server at the driver's base URL does not serve it (sync).

    Args:
        driver: the chat model's driver (its client, headers, TLS settings, base URL).
        model: the model the call asks for.
        enabled: the profile's ``served_models_check``.

    Raises:
        ModelNotServedError: the server lists its models and ``model`` is not one of them.
    """
    if not _todo(driver, model, enabled):
        if enabled and model:
            _refuse(driver, model)
        return
    ep = driver.ep
    body, error = None, None
    try:
        resp = ep.sync().get(ep.url("/models"), headers=ep.headers, timeout=_timeout(driver))
        resp.raise_for_status()
        body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        error = exc
    _judge(driver, model or "", body, error)


async def acheck_served_model(driver: HTTPDriver, model: str | None, *, enabled: bool) -> None:
    """:func:`check_served_model` for async calls (the loop's shared pool, not a thread)."""
    if not _todo(driver, model, enabled):
        if enabled and model:
            _refuse(driver, model)
        return
    ep = driver.ep
    pool = ep.async_pool()
    lease = pool.acquire() if pool is not None else None
    client = ep.async_client if pool is None else pool.client(lease)  # type: ignore[arg-type]
    body, error = None, None
    try:
        assert client is not None
        resp = await client.get(ep.url("/models"), headers=ep.headers, timeout=_timeout(driver))
        resp.raise_for_status()
        body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        error = exc
    finally:
        if pool is not None and lease is not None:
            pool.release(lease)
    _judge(driver, model or "", body, error)


def check_served(llm: Any, kwargs: dict[str, Any]) -> None:
    """The chat model's hook before a call: its (or the call's ``model=``) model is served."""
    check_served_model(llm.driver, kwargs.get("model") or llm.model_name,
                       enabled=llm.compat_profile.served_models_check)


async def acheck_served(llm: Any, kwargs: dict[str, Any]) -> None:
    """:func:`check_served` for async calls."""
    await acheck_served_model(llm.driver, kwargs.get("model") or llm.model_name,
                              enabled=llm.compat_profile.served_models_check)
