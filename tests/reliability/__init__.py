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
7     ``timeout`` not a total deadline                test_total_deadline.py, test_stream_deadline.py
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
"""
