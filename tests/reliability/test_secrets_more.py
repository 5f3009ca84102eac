"""Secrets, beyond tests/unit/test_secrets.py: warnings, LangSmith params, callback
payloads, the emulator's (masked) log; TLS verification on by default; plain-http
warnings. Where the key travels on the wire: test_secrets_wire.py (raw bytes)."""

from __future__ import annotations

import json
import ssl
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from langchain_compat import ChatCotomi, ChatOpenAICompatible, ChatTelkom
from langchain_compat import errors as E
from langchain_compat.connection import InsecureBaseURLWarning
from langchain_compat.errors import AuthenticationError, ServerError
from langchain_compat.testing import emulate, server_error

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e"
CLASSES = [ChatOpenAICompatible, ChatCotomi, ChatTelkom]


def clean(*values: Any) -> None:
    for v in values:
        text = v if isinstance(v, str) else json.dumps(v, default=repr)
        assert CANARY not in text and CANARY[3:] not in text


class Spy(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[tuple[dict, dict]] = []

    def on_chat_model_start(self, serialized: dict, messages: Any, **kwargs: Any) -> None:
        self.starts.append((serialized, kwargs))


@pytest.fixture(scope="module")
def canary_emus():
    with emulate("openai-compatible", api_key=CANARY, rate_limit=None) as oc, \
            emulate("cotomi", api_key=CANARY, rate_limit=None) as co, \
            emulate("telkom", api_key=CANARY, rate_limit=None) as te:
        yield {ChatOpenAICompatible: oc, ChatCotomi: co, ChatTelkom: te}


def build(cls: type, emu: Any, **kw: Any) -> Any:
    from langchain_core.rate_limiters import InMemoryRateLimiter

    kw.setdefault("max_retries", 0)
    if cls is ChatTelkom:
        kw.setdefault("rate_limiter",
                      InMemoryRateLimiter(requests_per_second=1000, max_bucket_size=100))
    return cls(base_url=emu.base_url, api_key=CANARY, model=emu.provider.default_model or "m",
               temperature=0.5, max_tokens=20, stop=["END"], **kw)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
async def test_canary_absent_from_warnings_ls_params_callbacks_and_log(canary_emus, cls) -> None:
    emu = canary_emus[cls]
    emu.reset()
    spy = Spy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm = build(cls, emu, drop_unsupported_params=True, logit_bias={"1": 1.0})
        assert llm.invoke("hi", config={"callbacks": [spy]}).content == "Echo: hi"
        assert (await llm.ainvoke("ho", config={"callbacks": [spy]})).content == "Echo: ho"
        assert "".join(c.content for c in llm.stream("s", config={"callbacks": [spy]})) == "Echo: s"
        emu.inject(server_error(500, f"upstream refused key {CANARY}"))
        with pytest.raises(ServerError) as info:
            llm.invoke("boom")
        assert info.value.status_code == 500 and "upstream refused key" in str(info.value)
        warnings.warn(str(info.value))  # what a caller would surface
    clean([str(w.message) for w in caught], [str(w.filename) for w in caught])
    params = llm._get_ls_params(stop=["x"])
    assert params["ls_max_tokens"] == 20
    clean(dict(params))
    assert len(spy.starts) == 3
    for serialized, kwargs in spy.starts:
        assert kwargs["invocation_params"]["temperature"] == 0.5
        clean(serialized, kwargs["invocation_params"], kwargs.get("metadata", {}))
    log = emu.requests
    assert len(log) == 4
    for req in log:
        clean(req.headers, req.body, req.query, req.path)  # masked: see test_secrets_wire.py
    auth = "x-api-key" if cls is ChatTelkom else "authorization"
    assert log[0].headers[auth] in ("***", "Bearer ***")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_wrong_key_error_never_shows_either_key(canary_emus, cls) -> None:
    emu = canary_emus[cls]
    emu.reset()
    llm = build(cls, emu).model_copy(update={"api_key": None})
    wrong = "sk-wrong-0000111122223333"
    from pydantic import SecretStr

    llm.api_key = SecretStr(wrong)
    with pytest.raises(AuthenticationError) as info:
        llm.invoke("x")
    text = f"{info.value} {info.value.message} {json.dumps(info.value.body, default=repr)}"
    assert CANARY not in text and wrong not in text


# -- TLS verification ---------------------------------------------------------------------

def _verify_mode(client: Any) -> ssl.VerifyMode:
    ctx = client._transport._pool._ssl_context
    return ctx.verify_mode, ctx.check_hostname


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
async def test_tls_verification_on_by_default(cls) -> None:
    llm = cls(base_url="https://provider.example/v1", api_key=CANARY, model="m")
    assert llm.verify is True and llm.driver.ep.verify is True
    assert _verify_mode(llm.driver.ep.sync()) == (ssl.CERT_REQUIRED, True)
    pool = llm.driver.ep.async_pool()
    assert _verify_mode(pool.client(0)) == (ssl.CERT_REQUIRED, True)


def test_verify_false_reaches_the_client_only_when_asked() -> None:
    llm = ChatOpenAICompatible(base_url="https://provider.example/v1", api_key=CANARY, model="m",
                               verify=False)
    assert _verify_mode(llm.driver.ep.sync())[0] == ssl.CERT_NONE
    default = ChatOpenAICompatible(base_url="https://provider.example/v1", api_key=CANARY,
                                   model="m")
    # not shared with verify=False
    assert _verify_mode(default.driver.ep.sync())[0] == ssl.CERT_REQUIRED


# -- plain http ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "warns"),
    [("http://10.1.2.3:8000/v1", True), ("http://api.example.com/v1", True),
     ("http://192.168.0.5/v1", True), ("http://[2001:db8::1]/v1", True),
     ("http://127.0.0.1:8000/v1", False), ("http://localhost:8000/v1", False),
     ("http://[::1]:8000/v1", False), ("http://127.9.9.9/v1", False),
     ("https://api.example.com/v1", False), ("https://10.1.2.3/v1", False)],
)
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_insecure_base_url_warning(cls, url, warns) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls(base_url=url, api_key=CANARY, model="m")
    insecure = [w for w in caught if issubclass(w.category, InsecureBaseURLWarning)]
    assert len(insecure) == (1 if warns else 0)
    clean([str(w.message) for w in caught])


def test_insecure_warning_does_not_echo_a_key_in_the_url() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChatOpenAICompatible(base_url=f"http://gw.example.com/v1?api-key={CANARY}",
                             api_key=CANARY, model="m")
        # userinfo is refused outright (InvalidCredentialError, never echoing it).
        with pytest.raises(E.InvalidCredentialError) as info:
            ChatOpenAICompatible(base_url=f"http://user:{CANARY}@gw.example.com/v1", model="m")
    assert caught
    clean([str(w.message) for w in caught] + [str(info.value)])
