"""The router's sans-IO core: selection, cooldowns and verdicts on a fake clock."""

from __future__ import annotations

import random

import pytest

from langchain_compat.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
)
from langchain_compat.router.core import DeploymentState, RouterCore, failover_kind


def core(*names: str, **kw) -> RouterCore:
    return RouterCore([DeploymentState(n) for n in names], **kw)


@pytest.mark.parametrize(("error", "kind"), [
    (RateLimitError("x", status_code=429, retry_after=2.0), "rate_limited"),
    (ServerError("x", status_code=503), "server_error"),
    (APITimeoutError("x"), "timeout"),
    (APIConnectionError("x"), "connection"),
    (AuthenticationError("x", status_code=401), "misconfigured"),
    (TimeoutError(), "timeout"),
    (BadRequestError("x", status_code=400), None),
    (ValueError("x"), None),
])
def test_failover_kinds(error: BaseException, kind: str | None) -> None:
    assert failover_kind(error) == kind


def test_a_429_rests_the_deployment_for_its_retry_after() -> None:
    c = core("a", "b", strategy="ordered", cooldown=5.0)
    call = c.begin(0.0)
    assert call.next(0.0).index == 0
    call.failed(0, RateLimitError("x", status_code=429, retry_after=2.0), now=0.0)
    assert call.next(0.0).index == 1  # failed over
    call.succeeded(1, 10, 5)
    for now in (0.5, 1.99):
        other = c.begin(now)
        assert other.next(now).index == 1  # a is cooling
        other.succeeded(1, 0, 0)
    assert c.begin(2.0).next(2.0).index == 0  # rested


def test_a_bad_request_ends_the_call_and_is_raised() -> None:
    c = core("a", "b")
    call = c.begin(0.0)
    i = call.next(0.0).index
    with pytest.raises(BadRequestError):
        call.failed(i, BadRequestError("x", status_code=400), now=0.0)
    assert c.states[i].cooling_until == 0.0 and c.states[i].in_flight == 0


def test_all_cooling_means_wait_then_give_up_past_max_wait() -> None:
    c = core("a", "b", cooldown=5.0, max_wait=6.0)
    call = c.begin(0.0)
    for _ in range(2):
        i = call.next(0.0).index
        call.failed(i, ServerError("x", status_code=500), now=0.0)
    step = call.next(1.0)
    assert step.index == -1 and step.wait == pytest.approx(4.0)
    assert call.next(5.0).index in (0, 1)  # a second round after the rest
    late = core("a", cooldown=10.0, max_wait=3.0)
    attempt = late.begin(0.0)
    attempt.failed(attempt.next(0.0).index, ServerError("x", status_code=502), now=0.0)
    with pytest.raises(ServerError):
        attempt.next(0.0)  # would wait past max_wait: the last error


def test_priority_then_least_busy_then_weight() -> None:
    c = RouterCore([DeploymentState("hosted-1"), DeploymentState("hosted-2"),
                    DeploymentState("local", priority=1)])
    first, second = c.begin(0.0), c.begin(0.0)
    assert (first.next(0.0).index, second.next(0.0).index) == (0, 1)  # spread, not local
    w = RouterCore([DeploymentState("big", weight=3.0), DeploymentState("small")],
                   strategy="weighted", rng=random.Random(1))
    picks = [w.begin(0.0).next(0.0).index for _ in range(400)]
    assert 250 < picks.count(0) < 350


def test_cost_is_tokens_times_prices() -> None:
    c = RouterCore([DeploymentState("a", input_price=1e-6, output_price=3e-6)])
    call = c.begin(0.0)
    i = call.next(0.0).index
    assert call.succeeded(i, 1000, 100) == pytest.approx(1.3e-3)
    assert c.usage()["a"] == {"calls": 1, "failures": 0, "input_tokens": 1000,
                              "output_tokens": 100, "cost": pytest.approx(1.3e-3)}
