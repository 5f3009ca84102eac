"""How far the llama.cpp build is, and how long it will still take.

The build prints one line per compile step (``[ 37%] Building CXX object <obj>`` from
Makefiles, ``[61/139] Building CXX object <obj>`` from Ninja). Steps differ a lot in cost
(a ggml source compiles in 2 s, a unity chunk of the chat parsers in 30 s), so the
generator's own percentage runs ahead early and crawls at the end. :class:`BuildProgress`
weighs each step by the CPU seconds it took in a measured build of the pinned version
(``build_costs.json``, written by ``python -m langchain_compat.local.build_costs``), and
turns that into a percentage, the elapsed time and an estimate of the time left that is
recalibrated against the speed observed so far (a loaded machine gets a longer estimate).

Pure code: feed it lines and clock readings; :mod:`.build` runs the build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources

__all__ = [
    "BuildProgress",
    "Estimate",
    "expected_build_seconds",
    "format_duration",
    "load_costs",
]

#: ``[ 37%] Building CXX object x.o`` (Makefiles) or ``[61/139] Building CXX object x.o`` (Ninja).
_STEP = re.compile(
    r"^\s*\[\s*(?:(?P<pct>\d+)%|(?P<n>\d+)/(?P<total>\d+))\]\s+"
    r"(?:Building (?:C|CXX) object (?P<obj>\S+)|Linking)"
)
#: Seconds outside the compile steps: pip's build environment, configure, links, packing.
_OVERHEAD_S = 45.0
#: Share of the weighted work after which the observed speed replaces the measured one.
_CALIBRATE_AFTER = 0.08


@dataclass(frozen=True)
class Estimate:
    """One progress reading.

    Attributes:
        fraction: weighted share of the compile work done, 0..1.
        elapsed_s: seconds since the build started.
        remaining_s: estimated seconds left (None before the first compile step).
        step: compile steps seen so far.
        steps: the generator's step count when it prints one (Ninja), else the table's.
    """

    fraction: float
    elapsed_s: float
    remaining_s: float | None
    step: int
    steps: int

    def render(self) -> str:
        """``llama.cpp build: 37% · 2 min 05 s elapsed · about 3 min 40 s left (61/139)``."""
        left = (
            f"about {format_duration(self.remaining_s)} left"
            if self.remaining_s is not None else "estimating"
        )
        return (
            f"llama.cpp build: {self.fraction:4.0%} · {format_duration(self.elapsed_s)} elapsed"
            f" · {left} (step {self.step}/{max(self.steps, self.step)})"
        )


def format_duration(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``9`` -> ``9 s``."""
    total = max(0, int(round(seconds)))
    minutes, secs = divmod(total, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def load_costs(version: str) -> dict[str, float]:
    """CPU seconds per compile step (object path -> seconds) measured for ``version``.

    Empty when no measurement ships for that version: every step then weighs the same.
    """
    try:
        raw = resources.files("langchain_compat.local").joinpath("build_costs.json").read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    data = json.loads(raw)
    if data.get("version") != version:
        return {}
    return {str(k): float(v) for k, v in data.get("objects", {}).items()}


def expected_build_seconds(costs: dict[str, float], jobs: int) -> float | None:
    """Wall seconds the build should take with ``jobs`` parallel compiles on an idle machine.

    None when nothing was measured for this version.
    """
    if not costs:
        return None
    return sum(costs.values()) / max(1, jobs) + _OVERHEAD_S


@dataclass
class BuildProgress:
    """Progress of one build, from its output lines (see the module docstring).

    Args:
        costs: CPU seconds per object path (:func:`load_costs`); empty: equal weights.
        jobs: parallel compile jobs (a step is counted done once ``jobs`` more started).
        start: the clock reading when the build started.
    """

    costs: dict[str, float]
    jobs: int
    start: float
    _started: list[float] = field(default_factory=list)
    _first_step_at: float | None = None
    _generator_total: int = 0
    _done_at_end: bool = False

    @property
    def _total_cost(self) -> float:
        if self.costs:
            return sum(self.costs.values())
        return float(max(self._generator_total, len(self._started), 1))

    def _cost_of(self, obj: str | None) -> float:
        if not self.costs:
            return 1.0
        if obj is not None:
            for key in (obj, obj.rsplit("/CMakeFiles/", 1)[-1]):
                if key in self.costs:
                    return self.costs[key]
        return min(self.costs.values())  # a step the measurement did not see: assume cheap

    def feed(self, line: str, now: float) -> bool:
        """Take one output line; True when it was a compile step."""
        match = _STEP.match(line)
        if match is None:
            return False
        if match.group("total"):
            self._generator_total = int(match.group("total"))
        obj = match.group("obj")
        if obj is None:  # a link step: counts, weighs nothing
            return False
        if self._first_step_at is None:
            self._first_step_at = now
        self._started.append(self._cost_of(obj))
        return True

    def finish(self) -> None:
        """The build ended: every step started is done."""
        self._done_at_end = True

    def fraction(self) -> float:
        """Weighted share of the compile work done (steps still compiling count as not done)."""
        started = self._started
        done = started if self._done_at_end else started[: max(0, len(started) - self.jobs)]
        in_flight = sum(started[len(done):]) / 2  # a compile in flight is half done on average
        return min(1.0, (sum(done) + in_flight) / self._total_cost)

    def estimate(self, now: float) -> Estimate:
        """The reading at clock ``now``."""
        elapsed = now - self.start
        frac = self.fraction()
        steps = self._generator_total or len(self.costs) or len(self._started)
        if self._first_step_at is None:
            return Estimate(frac, elapsed, None, 0, steps)
        compiling = now - self._first_step_at
        left_cost = self._total_cost * (1.0 - frac)
        if self.costs and frac < _CALIBRATE_AFTER:
            remaining = left_cost / max(1, self.jobs)  # the measured speed
        elif frac > 0:
            remaining = compiling * (1.0 - frac) / frac  # the speed seen on this machine
        else:
            remaining = None
        if remaining is not None:
            remaining += _OVERHEAD_S / 3 if frac < 1.0 else 0.0  # links and packing
        return Estimate(frac, elapsed, remaining, len(self._started), steps)
