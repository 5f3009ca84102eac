"""Plumbing shared by the stores other processes share: Redis and PostgreSQL.

:mod:`.urls` checks and masks their URLs (a password never shows);
:mod:`.watchdog` bounds a wait on a stalled server's socket; :mod:`.postgres`
opens bounded, typed PostgreSQL connections and savers; :mod:`.redis` makes
bounded redis-py clients and maps their errors.
"""
