"""Rate limits: profile.rate_limit_rpm, sliding window, Retry-After."""

from __future__ import annotations

import time

from .conftest import post_chat


def test_telkom_profile_limit_is_7_per_minute(emulator):
    emu = emulator("telkom")  # rate limit from the profile
    codes = [post_chat(emu).status_code for _ in range(8)]
    assert codes == [200] * 7 + [429]
    r = post_chat(emu)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    err = r.json()["error"]
    assert err["type"] == "rate_limit_exceeded" and "7" in err["message"]


def test_providers_without_a_limit_are_unlimited(cotomi):
    assert all(post_chat(cotomi).status_code == 200 for _ in range(20))


def test_override_and_sliding_window(emulator):
    emu = emulator("telkom", rate_limit=2, rate_window=0.5)
    assert [post_chat(emu).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.55)
    assert post_chat(emu).status_code == 200


def test_refusals_do_not_count_and_reset_clears(emulator):
    emu = emulator("telkom", rate_limit=2, rate_window=30)
    assert post_chat(emu).status_code == 200
    assert post_chat(emu).status_code == 200
    assert post_chat(emu).status_code == 429
    assert post_chat(emu).status_code == 429  # a refused request does not extend the window
    emu.reset()
    assert post_chat(emu).status_code == 200


def test_rate_limit_checked_after_auth(emulator):
    emu = emulator("telkom", rate_limit=1, rate_window=30)
    assert post_chat(emu, headers={}).status_code == 401
    assert post_chat(emu).status_code == 200


def test_set_rate_limit(emulator):
    emu = emulator("cotomi")
    emu.set_rate_limit(1, 30)
    assert [post_chat(emu).status_code for _ in range(2)] == [200, 429]
    emu.set_rate_limit(None)
    assert post_chat(emu).status_code == 200
