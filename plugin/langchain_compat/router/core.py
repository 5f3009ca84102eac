"""The router's decisions, shared by its sync and async shells (sans-IO).

No I/O and no clock of its own: every method takes ``now`` (monotonic
seconds). One :class:`RouterCore` holds the deployments' live state (calls in
flight, cooldowns, usage); one :class:`Attempt` per call says which deployment
to try next, or how long to wait, or that the call is over.

Failures are judged by the table :data:`FAILOVER` (error kind -> cooldown),
never by provider: a 429 cools a deployment for its ``Retry-After`` (or
``cooldown`` seconds when it sends none, 0 or a past date), a 5xx, a timeout, a
refused connection or a success answer that cannot be read (an HTML page) for
``cooldown`` seconds, a bad key, an unknown model (404, or a 400 naming the
model) or a redirect (the base URL moved) for ``config_cooldown``. No cooldown
passes ``max_cooldown``. Any other error (a bad request: the same request fails
everywhere) ends the call.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_compat.errors import APITimeoutError

__all__ = ["FAILOVER", "Attempt", "DeploymentState", "RouterCore", "RouterEvent", "Step",
           "failover_kind"]

logger = logging.getLogger("langchain_compat.router")

Strategy = Literal["least-busy", "weighted", "ordered"]

#: (error kind, cooldown source): "hint" = Retry-After else ``cooldown``; "fault" =
#: ``cooldown``; "config" = ``config_cooldown``. Checked in order by :func:`failover_kind`.
FAILOVER: tuple[tuple[str, str], ...] = (
    ("rate_limited", "hint"),
    ("server_error", "fault"),
    ("timeout", "fault"),
    ("connection", "fault"),
    ("misconfigured", "config"),
)

_STATUS_KINDS = {429: "rate_limited", 408: "timeout", 401: "misconfigured", 403: "misconfigured",
                 404: "misconfigured"}
_NAME_KINDS = {"APITimeoutError": "timeout", "TimeoutError": "timeout", "ReadTimeout": "timeout",
               "APIConnectionError": "connection", "ConnectionError": "connection",
               "ConnectError": "connection", "ConnectionRefusedError": "connection",
               "StreamInterruptedError": "connection", "ResponseParseError": "server_error"}
#: A 400/422 that says the deployment does not serve the model (vLLM, llama-server, Ollama,
#: LiteLLM and OpenAI word it differently): that deployment is misconfigured, not the request.
_MODEL_MISSING = re.compile(
    r"model_not_found|\bmodel\b[^.]{0,120}?\b(?:not (?:found|exist|available|loaded|served)|"
    r"does(?:n't| not) exist|unknown|no such)|\b(?:unknown|invalid|unsupported) model\b",
    re.IGNORECASE)


def _names_missing_model(error: BaseException) -> bool:
    body = getattr(error, "body", None)
    inner = body.get("error") if isinstance(body, dict) else None
    code = inner.get("code") if isinstance(inner, dict) else None
    text = f"{getattr(error, 'message', None) or error} {code or ''}"
    return bool(_MODEL_MISSING.search(text))


def failover_kind(error: BaseException) -> str | None:
    """What kind of deployment failure ``error`` is, or None when the call should end.

    Read from the error's ``status_code`` (any client's: ours, openai's, httpx's)
    and its class names, so it needs no import of any client library. A 2xx
    status on an error means the answer could not be read (an HTML page); a 3xx
    means the deployment's URL moved (redirects are not followed).
    """
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        if status in _STATUS_KINDS:
            return _STATUS_KINDS[status]
        if 200 <= status < 300:
            return "server_error"
        if 300 <= status < 400 or (status in (400, 422) and _names_missing_model(error)):
            return "misconfigured"
        return "server_error" if status >= 500 else None
    for cls in type(error).__mro__:
        if cls.__name__ in _NAME_KINDS:
            return _NAME_KINDS[cls.__name__]
    return None


@dataclass
class DeploymentState:
    """One deployment's live state and totals."""

    name: str
    weight: float = 1.0
    priority: int = 0
    input_price: float = 0.0
    output_price: float = 0.0
    in_flight: int = 0
    cooling_until: float = 0.0
    calls: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def ready(self, now: float) -> bool:
        return now >= self.cooling_until

    def snapshot(self) -> dict[str, Any]:
        return {"calls": self.calls, "failures": self.failures, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cost": self.cost}


@dataclass(frozen=True)
class RouterEvent:
    """What the core did, for logs and tests: ``dispatch`` a call to a deployment,
    or ``cooldown`` one until ``until`` (monotonic seconds, like ``at``)."""

    kind: Literal["dispatch", "cooldown"]
    deployment: str
    at: float
    until: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Step:
    """What a shell does next: call deployment ``index``, or sleep ``wait`` seconds."""

    index: int = -1
    wait: float = 0.0


@dataclass
class RouterCore:
    """Selection, cooldowns and accounting for a list of deployments (thread-safe).

    Attributes:
        states: one per deployment, in the router's order.
        strategy: ``least-busy`` (fewest calls in flight per weight), ``weighted``
            (random by weight) or ``ordered`` (first ready in list order); always
            within the lowest ``priority`` that has a ready deployment.
        cooldown: seconds a deployment rests after a 5xx, a timeout, a refused
            connection, or a 429 without ``Retry-After``.
        config_cooldown: seconds after a 401/403/404 (bad key, unknown model).
        max_attempts: deployments tried per call (None: twice the deployments).
        max_wait: longest a call waits for a cooling deployment before it gives up.
        max_cooldown: longest rest of a deployment, whatever its ``Retry-After`` says.
        on_event: called with each :class:`RouterEvent`, under the core's lock
            (keep it short: append to a list, log).
    """

    states: list[DeploymentState]
    strategy: Strategy = "least-busy"
    cooldown: float = 5.0
    config_cooldown: float = 60.0
    max_attempts: int | None = None
    max_wait: float = 30.0
    max_cooldown: float = 300.0
    on_event: Callable[[RouterEvent], None] | None = None
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, now: float) -> Attempt:
        """Start one call."""
        limit = self.max_attempts or 2 * len(self.states)
        return Attempt(self, now + self.max_wait, limit)

    def _choose(self, ready: Sequence[int]) -> int:
        states = self.states
        best = min(states[i].priority for i in ready)
        group = [i for i in ready if states[i].priority == best]
        if self.strategy == "ordered":
            return group[0]
        if self.strategy == "weighted":
            return self.rng.choices(group, weights=[states[i].weight for i in group])[0]
        return min(group, key=lambda i: (states[i].in_flight / states[i].weight, i))

    def rest(self, kind: str, error: BaseException) -> float:
        """Seconds a deployment rests after a failure of ``kind``, at most ``max_cooldown``.

        A ``Retry-After`` of 0, a past date or anything not a positive number is no
        hint: the deployment rests ``cooldown`` seconds, not zero.
        """
        source = dict(FAILOVER)[kind]
        hint = getattr(error, "retry_after", None)
        usable = isinstance(hint, (int, float)) and not math.isnan(hint) and hint > 0
        rest = (hint if source == "hint" and usable else
                self.config_cooldown if source == "config" else self.cooldown)
        return min(rest, self.max_cooldown)

    def total_cost(self) -> float:
        return sum(s.cost for s in self.states)

    def usage(self) -> dict[str, dict[str, Any]]:
        """Per-deployment totals so far (calls, failures, tokens, cost)."""
        with self.lock:
            return {s.name: s.snapshot() for s in self.states}


class Attempt:
    """The attempts of one call: which deployment next, and the verdict on each result."""

    __slots__ = ("core", "deadline", "errors", "left", "tried")

    def __init__(self, core: RouterCore, deadline: float, attempts: int) -> None:
        self.core, self.deadline, self.left = core, deadline, attempts
        self.tried: list[int] = []
        self.errors: list[BaseException] = []

    def next(self, now: float) -> Step:
        """The next step: a deployment to call (counted in flight), or a wait.

        Raises:
            BaseException: the last error, when no attempt is left or the wait
                for a cooling deployment would pass ``max_wait``.
        """
        core = self.core
        with core.lock:
            if self.left <= 0:
                raise self.errors[-1]
            ready = [i for i, s in enumerate(core.states) if s.ready(now) and i not in self.tried]
            if not ready:  # every untried one is cooling: a second round may reuse tried ones
                ready = [i for i, s in enumerate(core.states) if s.ready(now)]
            if ready:
                i = core._choose(ready)
                core.states[i].in_flight += 1
                self.left -= 1
                self.tried.append(i)
                if core.on_event is not None:
                    core.on_event(RouterEvent("dispatch", core.states[i].name, now))
                return Step(index=i)
            wake = min(s.cooling_until for s in core.states)
            resting = ", ".join(f"{s.name} for {s.cooling_until - now:.1f}s" for s in core.states)
        if wake > self.deadline:
            if self.errors:
                raise self.errors[-1]
            raise APITimeoutError(
                f"every deployment is cooling down ({resting}), longer than the router's "
                f"max_wait={core.max_wait:g}s; raise max_wait or add a deployment",
                provider="router")
        return Step(wait=max(wake - now, 0.001))

    def succeeded(self, index: int, input_tokens: int, output_tokens: int) -> float:
        """Book a successful call; returns its cost."""
        core = self.core
        with core.lock:
            s = core.states[index]
            s.in_flight -= 1
            s.calls += 1
            s.input_tokens += input_tokens
            s.output_tokens += output_tokens
            cost = input_tokens * s.input_price + output_tokens * s.output_price
            s.cost += cost
        return cost

    def failed(self, index: int, error: BaseException, now: float) -> None:
        """Book a failed call: cool the deployment down, or end the call.

        Raises:
            BaseException: ``error`` itself when it is not a deployment failure
                (the same request would fail on every deployment).
        """
        core = self.core
        kind = failover_kind(error)
        with core.lock:
            s = core.states[index]
            s.in_flight -= 1
            s.failures += 1
            if kind is None:
                raise error
            rest = core.rest(kind, error)
            s.cooling_until = max(s.cooling_until, now + rest)
            event = RouterEvent("cooldown", s.name, now, s.cooling_until, type(error).__name__)
            if core.on_event is not None:
                core.on_event(event)
        logger.info("deployment %s cools down for %.1fs after %s", s.name, rest, event.error)
        self.errors.append(error)

    def broken(self, index: int, error: BaseException | None, input_tokens: int,
               output_tokens: int, now: float) -> None:
        """Book a stream cut after its first chunk: by ``error`` (a failure: counted, and the
        deployment cools when it is a deployment fault) or by the caller (``None``: a call).
        The tokens its chunks reported are booked either way."""
        core = self.core
        kind = failover_kind(error) if error is not None else None
        with core.lock:
            s = core.states[index]
            s.in_flight -= 1
            s.input_tokens += input_tokens
            s.output_tokens += output_tokens
            s.cost += input_tokens * s.input_price + output_tokens * s.output_price
            if error is None:
                s.calls += 1
                return
            s.failures += 1
            if kind is not None:
                s.cooling_until = max(s.cooling_until, now + core.rest(kind, error))
                if core.on_event is not None:
                    core.on_event(RouterEvent("cooldown", s.name, now, s.cooling_until,
                                              type(error).__name__))

    def abandoned(self, index: int) -> None:
        """The call on ``index`` ended without a verdict (cancelled, or a stream cut after data)."""
        with self.core.lock:
            self.core.states[index].in_flight -= 1
