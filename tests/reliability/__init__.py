"""Reliability: faults, load, secrets and hardening, against real loopback servers.

Which test covers which hardening finding (issue #13, "what broke when we tried to break it"):

====  ==============================================  =============================================
item  finding                                         regression tests
====  ==============================================  =============================================
1     embeddings kept the old host and key            test_connection_switch.py
2     every closed event loop leaked its pool         test_loop_leak.py
3     keys with a newline / non-ASCII leaked          test_credentials.py (strip, refuse, redact
                                                      escaped forms)
4     ChatOpenAI-style names sent the key in the      test_credentials.py (aliases, unknown
      body                                            credential-like kwargs refused)
5     other leaks: escaped key in a body, userinfo    test_credentials.py, test_secrets_more.py;
      URLs, auth headers on a cross-origin            redirects: test_redirects.py
      redirect, 3xx read as "not JSON"
6     untyped exceptions escaped                      test_untyped_errors.py, test_bad_input.py,
                                                      test_unjson_body.py
7     ``timeout`` not a total deadline                test_total_deadline.py,
                                                      test_stream_deadline.py
8     compressed streams failed                       test_compressed_stream.py
9     ``auto`` poisoned by an unrelated 400           tests/tools/test_reply_policy.py
                                                      (test_an_unrelated_400_naming_a_tool_...)
10    a POST sent twice with max_retries=0            test_single_send.py
11    rate limits bypassed (re-asks, retries,         test_rate_limit_every_request.py
      one bucket per instance)
low   response size cap, linear stream, bad           test_response_limits.py
      Retry-After
low   negative usage, NaN embeddings, images to a     test_accepted_silently.py
      text-only model, native tool names and
      duplicates, emulator log masking, pickle
====  ==============================================  =============================================

Issue #23, "beyond one process, hardened" (real redis-server / PostgreSQL from the
``[dev]`` wheels, stalled by SIGSTOP of a server the test started; loopback HTTP):

====  ==============================================  =============================================
item  finding                                         regression tests
====  ==============================================  =============================================
1     ``Retry-After: 1e9`` froze every Redis-limited  test_shared_limiter.py (retry_after_1e9...,
      worker; ``inf`` a bare OverflowError            max_hold..., infinite_retry_after...,
                                                      longer_hold_found_in_redis...)
2     a stalled Redis hung calls / bare redis-py      test_shared_limiter.py (stopped_redis...,
      TimeoutError                                    default_bound...)
3     the PostgreSQL password in errors, the CLI's    test_postgres_bounds.py (url_psycopg_cannot_
      traceback and the chat banner                   parse..., chat_banner..., chat_cli_reports_
                                                      a_bad_url...); test_password_fuzz.py
4     a stalled PostgreSQL hung a turn                test_postgres_bounds.py (stopped_postgres...,
                                                      statement_timeout...)
5     the setup advisory lock was polled forever      test_postgres_bounds.py (setup_lock_wait...)
6     a dripping ``/tokenize`` hung get_num_tokens    test_tokenize_bounds.py (dripping...,
      and trimming                                    trimming...)
7     no failover on 307/308, HTML 200, 400 "model    test_router_failover.py (fails_over_and_
      not found"                                      cools...)
8     Router: ``Retry-After: 1e12``, bare             test_router_failover.py (huge_retry_after...,
      TimeoutError, ``Retry-After: 0`` / past date    every_deployment_cools..., zero_or_past...)
9     usage on every stream chunk summed              test_stream_usage.py
10    raw redis-py errors, bare ValueError for        test_shared_limiter.py (redis_failures...,
      ``from_url("http://...")``                      gone_mid_run..., unusable_url...)
11    raw psycopg errors (open, dead mid-turn in      test_postgres_bounds.py (open_checkpointer_
      ``chat --db``, NUL in a thread id)              failures..., nul..., dies_mid_session...)
12    ``/tokenize``: RecursionError, OverflowError,   test_tokenize_bounds.py (absurd_answer...,
      no size cap, gzip bomb                          gzip_bomb...)
13    socks proxy without socksio: bare ImportError   test_config_edges.py (socks_proxy...)
14    ``local down`` killed a process it did not      test_config_edges.py (down_leaves...,
      start; ``status`` reached a non-loopback host   status_never_connects...)
low   pickling a Router / a model with a Redis        test_shared_limiter.py (..._pickle),
      limiter                                         test_router_failover.py (router_pickles...)
low   a stream cut after its first chunk was not      test_router_failover.py (stream_cut...,
      booked by the Router                            caller_stops_reading...)
low   unbounded downgrade memory; ``.localhost``      test_config_edges.py
      names as loopback; URL warnings (IPv6
      brackets, ``https://`` in an http error)
all   a password never shows (``%``, ``#``, ``/``,    test_password_fuzz.py
      ``?``, ``@``, unicode; every URL entry point)
15    native ``arguments`` 50,000 ``[`` deep: bare    test_hostile_replies.py (native_arguments_
      RecursionError; call-shaped JSON in prose or    nested..., call_shaped_json_a_reply_shows...,
      a fence inside prose executed                   a_call_written_alone_is_still_made)
low   an emulated tool with no name was sent          test_accepted_silently.py (a_tool_without_a_
                                                      name...)
====  ==============================================  =============================================

Streaming many emulated calls is linear now (one reply reader for both paths; 8,000 calls in
one streamed reply: 7.1 s before, 1.1 s after, 16,000: 2.2 s), measured, not asserted.
"""
