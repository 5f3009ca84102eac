"""The Lua scripts Redis runs atomically for :class:`RedisRateLimiter`.

Sliding-window log: each granted request is a member of a sorted set scored
by the Redis server's clock (one clock for every worker, so their clocks may
disagree). A request is granted while fewer than ``limit`` members are
younger than the window; otherwise the answer is how long until the oldest
one leaves it. A second key holds a "not before" time pushed by a provider's
429 / ``Retry-After``: while it is in the future nothing is granted.

Both scripts return milliseconds: 0 = granted, > 0 = wait that long. No hold
lasts longer than the limiter's ``max_hold``: THROTTLE is given a capped
duration, and ACQUIRE cuts a longer one it finds (written by an older version
or a client with another cap) down to ``max_hold`` from now.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "THROTTLE"]

#: KEYS[1] window zset, KEYS[2] not-before key; ARGV: limit, window_ms, member, max_hold_ms.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local cap = tonumber(ARGV[4])
if hold > now + cap then
  hold = now + cap
  redis.call('SET', KEYS[2], hold, 'PX', cap + 1000)
end
if hold > now then return hold - now end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
"""

#: KEYS[1] not-before key; ARGV: hold_ms. Only ever moves the time later.
THROTTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if hold > cur then
  redis.call('SET', KEYS[1], hold, 'PX', tonumber(ARGV[1]) + 1000)
  return hold - now
end
return cur - now
"""
