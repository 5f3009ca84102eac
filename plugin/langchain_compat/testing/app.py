"""The emulator's HTTP routes (Starlette): chat completions, embeddings, models.

Every request goes through :func:`build_app`'s dispatcher in this order, like
a provider behind a gateway: record (masked) -> route (404/405) -> injected
fault -> auth (401) -> rate limit (429) -> body checks (400) -> reply from the
script, the proxy upstream, or the default responder.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from langchain_compat.testing import llama, wire
from langchain_compat.testing.extras import check_reasoning_replay, tokenize_response
from langchain_compat.testing.faults import Fault
from langchain_compat.testing.quirks import APIErrorReply, check_auth, check_chat, check_embeddings
from langchain_compat.testing.refusals import check_refused
from langchain_compat.testing.responders import (
    ChatRequest,
    apply_limits,
    default_reply,
    prompt_tokens,
    to_reply,
)
from langchain_compat.testing.sse import (
    ABORT,
    DONE,
    IterResponse,
    aiter_list,
    apply_stream_fault,
    frame,
)
from langchain_compat.testing.state import DEFAULT_DIMENSIONS, EmulatorState
from langchain_compat.transport.driver import is_stale_connection

__all__ = ["build_app"]

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def error_response(err: APIErrorReply) -> JSONResponse:
    return JSONResponse(err.body(), status_code=err.status, headers=err.headers)


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class _Gone(Exception):
    """The client left or the emulator is stopping: stop waiting for upstream."""


SHUTTING_DOWN = APIErrorReply(503, "emulator shutting down", type="server_error",
                              code="shutting_down")


class _Ctx:
    """One request in flight: its body, fault and ways to wait."""

    def __init__(
        self, state: EmulatorState, request: Request, body: Any, fault: Fault | None
    ) -> None:
        self.state, self.request, self.body, self.fault = state, request, body, fault
        self.streaming = isinstance(body, dict) and body.get("stream") is True

    async def stall(self) -> None:
        """Wait until the client disconnects or the emulator shuts down."""

        async def disconnected() -> None:
            while (await self.request.receive())["type"] != "http.disconnect":
                pass

        tasks = {
            asyncio.ensure_future(self.state.shutdown.wait()),
            asyncio.ensure_future(disconnected()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()

    async def until_gone(self, awaitable: Awaitable[Any]) -> Any:
        """Await ``awaitable`` unless the client leaves or the emulator stops first.

        Raises:
            _Gone: the client disconnected or the emulator is shutting down.
        """
        task = asyncio.ensure_future(awaitable)
        stall = asyncio.ensure_future(self.stall())
        try:
            await asyncio.wait({task, stall}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stall.cancel()
            gone = not task.done()
            if gone:
                task.cancel()
        if gone:
            raise _Gone
        return task.result()

    async def sleep(self, seconds: float) -> None:
        """Sleep, cut short by shutdown."""
        try:
            await asyncio.wait_for(self.state.shutdown.wait(), seconds)
        except TimeoutError:
            pass

    def body_response(
        self, content: bytes, status: int = 200, media_type: str = "application/json"
    ) -> Response:
        """A complete body, or a broken one when the fault says so."""
        kind = self.fault.kind if self.fault else None
        if kind == "truncated_json" and status == 200:
            return Response(content[: max(1, len(content) // 2)], status, media_type=media_type)
        if kind == "reset":
            half = content[: max(1, len(content) // 2)]
            return IterResponse(
                aiter_list([half, ABORT]),
                status=status,
                media_type=media_type,
                headers={"content-length": str(len(content))},
            )
        return Response(content, status, media_type=media_type)

    def stream_response(self, frames: AsyncIterator[bytes]) -> IterResponse:
        return IterResponse(apply_stream_fault(frames, self.fault, self.stall))


# ------------------------------------------------------------------ handlers


async def chat(ctx: _Ctx) -> Response:
    state, body = ctx.state, ctx.body
    model = body.get("model") if isinstance(body, dict) else None
    profile = state.provider.profile_for(model if isinstance(model, str) else None)
    messages = check_chat(profile, body)
    check_reasoning_replay(profile, messages)
    llama.check_context(state, profile, messages)
    _check_model(state, model, state.provider.models)
    check_refused(state.refuse, body)
    request = ChatRequest(body=body, messages=messages, model=model)
    item = state.replies.pop()
    if item is None:
        item = state.responder
    if item is None and state.proxy:
        return await proxy(
            ctx, state.proxy + state.provider.chat_path, {**body, "messages": messages}
        )
    try:
        reply = to_reply(item, request) if item is not None else default_reply(request)
    except Exception as exc:  # noqa: BLE001 - a broken script is reported to the client
        raise APIErrorReply(
            500,
            f"emulator: scripted reply failed: {exc!r}",
            type="emulator_error",
            code="bad_script",
        ) from None
    if reply.tool_calls and state.provider.profile_for(model).native_tools is False:
        raise APIErrorReply(
            500,
            "emulator: a scripted reply has native tool_calls but this profile has no native "
            "tools; script the raw text the model would write instead",
            type="emulator_error",
            code="bad_script",
        )
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    reply, _finish, n_tokens = apply_limits(reply, body.get("stop"), max_tokens)
    n = body.get("n") if isinstance(body.get("n"), int) else 1
    p_tokens = prompt_tokens(messages)
    extras = llama.reply_extras(state, profile, body, messages, n_tokens)
    if not ctx.streaming:
        out = wire.completion(
            reply, n=n, model=model, prompt_tokens=p_tokens, completion_tokens=n_tokens
        )
        return ctx.body_response(_json_bytes({**out, **extras}))
    opts = body.get("stream_options")
    include_usage = isinstance(opts, dict) and opts.get("include_usage") is True
    chunks = wire.completion_chunks(
        reply,
        n=n,
        model=model,
        prompt_tokens=p_tokens,
        completion_tokens=n_tokens,
        include_usage=include_usage,
    )
    chunks[-1].update(extras)  # llama-server's timings ride on the last chunk
    return ctx.stream_response(aiter_list([*(frame(c) for c in chunks), DONE]))


async def embeddings(ctx: _Ctx) -> Response:
    state, body = ctx.state, ctx.body
    model = body.get("model") if isinstance(body, dict) else None
    limits = state.embeddings_limits_for(model if isinstance(model, str) else None)
    inputs = check_embeddings(limits, body)
    _check_model(state, model, state.provider.embedding_models)
    if state.embeddings_upstream:
        return await proxy(
            ctx, state.embeddings_upstream + state.provider.embeddings_path, dict(body)
        )
    dim = (
        body.get("dimensions")
        if isinstance(body.get("dimensions"), int)
        else (limits.dimensions or DEFAULT_DIMENSIONS)
    )
    out = wire.embeddings_response(
        inputs, model=model, dim=dim, encoding_format=body.get("encoding_format") or "float"
    )
    return ctx.body_response(_json_bytes(out))


async def tokenize(ctx: _Ctx) -> Response:
    return ctx.body_response(_json_bytes(tokenize_response(ctx.body)))


async def models(ctx: _Ctx) -> Response:
    p = ctx.state.provider
    names = [*p.models, *p.embedding_models] or [p.default_model or "emulator-model"]
    data = [
        {"id": m, "object": "model", "created": 0, "owned_by": p.name} for m in dict.fromkeys(names)
    ]
    return ctx.body_response(_json_bytes({"object": "list", "data": data}))


def _check_model(state: EmulatorState, model: Any, known: tuple[str, ...]) -> None:
    if state.strict_models and known and model not in known:
        raise APIErrorReply(
            404,
            f"The model `{model}` does not exist or you do not have access to it. "
            f"Known: {', '.join(known)}.",
            code="model_not_found",
            param="model",
        )


async def proxy(ctx: _Ctx, url: str, body: dict[str, Any]) -> Response:
    """Forward to ``url`` upstream (the provider's rules already enforced), streaming through."""
    state = ctx.state
    body["model"] = state.upstream_model(body.get("model"))
    headers = {"Authorization": f"Bearer {state.proxy_api_key}"} if state.proxy_api_key else {}
    for attempt in (0, 1):
        try:
            req = state.http.build_request("POST", url, json=body, headers=headers)
            resp = await ctx.until_gone(state.http.send(req, stream=True))
            break
        except httpx.HTTPError as exc:
            if attempt == 0 and is_stale_connection(exc):
                continue  # the upstream had closed this pooled connection: resend once
            raise APIErrorReply(
                502,
                f"emulator proxy: upstream {url} unreachable: {type(exc).__name__}",
                type="server_error",
                code="bad_gateway",
            ) from None
        except _Gone:
            raise SHUTTING_DOWN from None
    media = resp.headers.get("content-type", "application/json").split(";")[0]
    if not ctx.streaming or resp.status_code != 200 or media != "text/event-stream":
        try:
            content = await ctx.until_gone(resp.aread())
        except _Gone:
            raise SHUTTING_DOWN from None
        except httpx.HTTPError as exc:
            raise APIErrorReply(
                502,
                f"emulator proxy: upstream {url} broke off: {type(exc).__name__}",
                type="server_error",
                code="bad_gateway",
            ) from None
        finally:
            await resp.aclose()
        return ctx.body_response(content, resp.status_code, media)

    async def frames() -> AsyncIterator[Any]:
        lines_iter = resp.aiter_lines()
        lines: list[str] = []
        try:
            while True:
                try:
                    line = await ctx.until_gone(lines_iter.__anext__())
                except StopAsyncIteration:
                    break
                if line:
                    lines.append(line)
                elif lines:
                    yield ("\n".join(lines) + "\n\n").encode()
                    lines = []
            if lines:
                yield ("\n".join(lines) + "\n\n").encode()
        except (_Gone, httpx.HTTPError):
            yield ABORT  # upstream broke, client left, or shutting down: cut the stream
        finally:
            await resp.aclose()

    return ctx.stream_response(frames())


# ---------------------------------------------------------------------- app

Handler = Callable[[_Ctx], Awaitable[Response]]


def build_app(state: EmulatorState) -> Starlette:
    """The Starlette app serving ``state.provider``'s API under ``state.base_paths``."""
    p = state.provider
    table: dict[tuple[str, str], tuple[str, Handler]] = {}
    for base in state.base_paths:
        table[("POST", base + p.chat_path)] = ("chat", chat)
        table[("POST", base + p.embeddings_path)] = ("embeddings", embeddings)
        table[("GET", base + "/models")] = ("models", models)
    # at the server root, like llama.cpp and vLLM
    table[("POST", "/tokenize")] = ("tokenize", tokenize)
    if llama.is_llama(p.profile):
        table[("GET", "/props")] = ("props", llama.props)
    known_paths = {path for _, path in table}

    async def dispatch(request: Request) -> Response:
        raw = await request.body()
        body: Any = None
        body_error = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                body_error = f"invalid JSON: {exc}"
        secrets = [state.api_key or "", state.proxy_api_key or ""]
        rec = state.log.record(
            request.method,
            request.url.path,
            request.url.query,
            request.headers.items(),
            body,
            secrets,
            body_error,
        )
        response = await _answer(request, rec.number, body, body_error)
        response.headers.setdefault("x-request-id", f"req_{uuid.uuid4().hex[:24]}")
        rec.status = response.status_code
        return response

    async def _answer(request: Request, number: int, body: Any, body_error: str | None) -> Response:
        path = request.url.path.rstrip("/") or "/"
        route = table.get((request.method, path))
        if route is None:
            status, what = (
                (405, "Method not allowed") if path in known_paths else (404, "Unknown request URL")
            )
            return error_response(
                APIErrorReply(status, f"{what}: {request.method} {path}.", code="unknown_url")
            )
        endpoint, handler = route
        ctx = _Ctx(state, request, body, None)
        fault = state.faults.take(number, endpoint, ctx.streaming)
        ctx.fault = fault
        try:
            if fault is not None:
                early = await _early_fault(ctx, fault)
                if early is not None:
                    return early
            check_auth(p.auth, request.headers, state.api_key)
            wait = state.window.hit()
            if wait is not None:
                raise state.window.refusal(wait)
            if request.method == "POST" and (body_error or not isinstance(body, dict)):
                raise APIErrorReply(
                    400,
                    f"The request body must be a JSON object ({body_error or 'got none'}).",
                    code="invalid_json",
                )
            return await handler(ctx)
        except APIErrorReply as err:
            return error_response(err)

    async def _early_fault(ctx: _Ctx, fault: Fault) -> Response | None:
        if fault.kind == "latency" and fault.delay:
            await ctx.sleep(fault.delay)
        elif fault.kind == "status":
            headers = (
                {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            )
            return JSONResponse(
                fault.error_body(), status_code=fault.status or 500, headers=headers
            )
        elif fault.kind == "hang" and (fault.after_chunks is None or not ctx.streaming):
            await ctx.stall()
            return error_response(SHUTTING_DOWN)
        return None

    return Starlette(routes=[Route("/{path:path}", dispatch, methods=METHODS)])
