"""Credentials as users really pass them: read from files, under ChatOpenAI's names, in URLs.

* a key with a trailing newline (``open(path).read()``) is stripped and works;
  one with a character a header cannot carry is refused at construction with
  an ``InvalidCredentialError`` that never shows the key;
* custom headers with non-ASCII values are refused naming the header only;
* ``openai_api_key=``, ``openai_api_base=``, ``request_timeout=`` map to our
  fields (chat and embeddings); the key never lands in the request body,
  ``repr``, ``str`` or ``dumpd``; credential-looking unknown names are refused;
* ``https://user:KEY@host/v1`` is refused without echoing the password;
* :func:`~langchain_compat.errors.redact` catches escaped forms of a key.

The wire checks run against the emulator (a real loopback server) with auth
off, so its log shows exactly what was sent.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps
from pydantic import SecretStr

from langchain_compat import (
    ChatCotomi,
    ChatOpenAICompatible,
    CotomiEmbeddings,
    OpenAICompatibleEmbeddings,
)
from langchain_compat import errors as E
from langchain_compat.testing import Emulator, emulate

CANARY = "sk-CANARY/9f8e+7d6c=5b4a"  # "/", "+", "=" escape differently in JSON and URLs
PASSWORD = "pw-CANARY-9f8e7d6c5b4a"  # in a URL's userinfo (where "/" would end the host part)
BASE = "https://tenant.example/v1"


@pytest.fixture(scope="module")
def open_emu() -> Iterator[Emulator]:
    with emulate("openai-compatible", api_key="", rate_limit=None) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "open_emu" in request.fixturenames:
        request.getfixturevalue("open_emu").reset()


def leaks(*things: Any) -> bool:
    text = " ".join(str(t) for t in things)
    return CANARY in text or CANARY[3:] in text or PASSWORD in text


# -- keys read from files ---------------------------------------------------------------------

@pytest.mark.parametrize("raw", [CANARY + "\n", f"  {CANARY}\r\n", f"\t{CANARY} "])
def test_surrounding_whitespace_is_stripped_and_the_key_works(raw: str) -> None:
    # This server accepts exactly CANARY: a 200 proves what was sent.
    with emulate("cotomi", api_key=CANARY, rate_limit=None) as emu:
        llm = ChatCotomi(base_url=emu.base_url, api_key=raw, max_retries=0)
        assert llm.api_key is not None and llm.api_key.get_secret_value() == CANARY
        assert llm.invoke("hi").content
        emb = CotomiEmbeddings(base_url=emu.base_url, api_key=raw, max_retries=0)
        assert len(emb.embed_query("hi")) == 1024
        assert [r.status for r in emu.requests] == [200, 200]


def test_env_var_key_is_stripped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTOMI_API_KEY", CANARY + "\n")
    chat_key = ChatCotomi(base_url=BASE).api_key
    embeddings_key = CotomiEmbeddings(base_url=BASE).api_key
    assert chat_key.get_secret_value() == CANARY  # type: ignore[union-attr]
    assert embeddings_key.get_secret_value() == CANARY  # type: ignore[union-attr]


@pytest.mark.parametrize(("bad", "named"), [
    ("\u00a0", "NO-BREAK SPACE"), ("\u200b", "ZERO WIDTH SPACE"),
    ("é", "LATIN SMALL LETTER E WITH ACUTE"),
    ("\n", "U+000A"), ("\x00", "U+0000"), ("\x7f", "U+007F"),
])
@pytest.mark.parametrize("cls", [ChatCotomi, CotomiEmbeddings])
def test_invalid_key_characters_are_refused_without_the_key(cls: type, bad: str,
                                                            named: str) -> None:
    with pytest.raises(E.InvalidCredentialError) as info:
        cls(base_url=BASE, api_key=CANARY[:8] + bad + CANARY[8:])
    assert info.value.param == "api_key"
    assert named in str(info.value) and "position 8" in str(info.value)
    assert not leaks(info.value, repr(info.value))


def test_invalid_env_var_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTOMI_API_KEY", CANARY + "\u00a0")
    with pytest.raises(E.InvalidCredentialError, match=r"\$COTOMI_API_KEY") as info:
        ChatCotomi(base_url=BASE)
    assert not leaks(info.value)


def test_assigned_invalid_key_is_refused(open_emu: Emulator) -> None:
    llm = ChatOpenAICompatible(base_url=open_emu.base_url, model="m")
    with pytest.raises(E.InvalidCredentialError) as info:
        llm.api_key = SecretStr(CANARY + "\u200b")
    with pytest.raises(E.InvalidCredentialError):
        llm.model_copy(update={"api_key": "é" + CANARY})
    assert not leaks(info.value)


# -- custom headers ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [ChatCotomi, CotomiEmbeddings])
def test_non_ascii_header_value_names_the_header_not_the_value(cls: type) -> None:
    with pytest.raises(E.InvalidCredentialError, match="X-Api-Key") as info:
        cls(base_url=BASE, api_key="k" * 12, default_headers={"X-Api-Key": CANARY + "\u00a0"})
    assert not leaks(info.value)
    with pytest.raises(E.InvalidCredentialError, match="X-Tenant"):
        cls(base_url=BASE, api_key="k" * 12, default_headers={"X-Tenant": "東京"})
    with pytest.raises(E.InvalidCredentialError, match="header name"):
        cls(base_url=BASE, api_key="k" * 12, default_headers={"Bad Name": "v"})


def test_credential_in_a_custom_header_is_redacted_from_errors() -> None:
    llm = ChatOpenAICompatible(base_url=BASE, model="m",
                               default_headers={"X-Api-Key": CANARY,
                                                "Authorization": f"Bearer {CANARY}"})
    secrets = llm.driver.ep.secrets  # what every error message is scrubbed of
    assert CANARY in secrets and f"Bearer {CANARY}" in secrets


# -- ChatOpenAI's argument names --------------------------------------------------------------

@pytest.mark.parametrize(("alias", "field", "value"), [
    ("openai_api_key", "api_key", CANARY), ("apikey", "api_key", CANARY),
    ("api_token", "api_key", CANARY),
    ("openai_api_base", "base_url", BASE), ("api_base", "base_url", BASE),
    ("request_timeout", "timeout", 7.0),
])
@pytest.mark.parametrize("cls", [ChatCotomi, CotomiEmbeddings])
def test_aliases_set_the_real_field(cls: type, alias: str, field: str, value: Any) -> None:
    kw: dict[str, Any] = {"base_url": BASE, "api_key": "k" * 12}
    kw.pop(field, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an alias is not an unknown argument
        m = cls(**kw, **{alias: value})
    got = getattr(m, field)
    assert (got.get_secret_value() if isinstance(got, SecretStr) else got) == value
    assert alias not in getattr(m, "model_kwargs", {})
    assert not leaks(repr(m), str(m), m.model_dump_json())
    if cls is ChatCotomi:
        assert not leaks(dumps(m), json.dumps(dumpd(m)), m._identifying_params)


def test_openai_api_key_travels_in_the_header_not_the_body(open_emu: Emulator) -> None:
    llm = ChatOpenAICompatible(openai_api_base=open_emu.base_url, openai_api_key=CANARY, model="m")
    llm.invoke("hi")
    emb = OpenAICompatibleEmbeddings(openai_api_base=open_emu.base_url, openai_api_key=CANARY,
                                     model_name="m")
    emb.embed_query("hi")
    assert len(open_emu.requests) == 2
    for req in open_emu.requests:  # this server checks no key, so it masks only the auth header
        assert req.headers["authorization"].startswith("Bearer ")
        assert not leaks(json.dumps(req.body))


def test_alias_and_field_together_is_an_error() -> None:
    with pytest.raises(E.InvalidParameterError, match="pass only api_key") as info:
        ChatCotomi(base_url=BASE, api_key="k" * 12, openai_api_key=CANARY)
    assert not leaks(info.value)


@pytest.mark.parametrize("name", ["token", "secret_key", "access_token", "client_secret",
                                  "password", "bearer", "anthropicApiKey"])
@pytest.mark.parametrize("cls", [ChatCotomi, CotomiEmbeddings])
def test_credential_looking_unknown_argument_is_refused(cls: type, name: str) -> None:
    with pytest.raises(E.InvalidCredentialError, match="api_key=") as info:
        cls(base_url=BASE, api_key="k" * 12, **{name: CANARY})
    assert info.value.param == name and not leaks(info.value)


def test_unknown_argument_goes_to_model_kwargs_with_a_warning(open_emu: Emulator) -> None:
    with pytest.warns(UserWarning, match="'repetition_penalty' is not a known argument") as caught:
        llm = ChatOpenAICompatible(base_url=open_emu.base_url, model="m", repetition_penalty=1.1)
    assert caught[0].filename == __file__  # points at the caller's line
    assert llm.model_kwargs == {"repetition_penalty": 1.1}
    llm.invoke("hi")
    assert open_emu.requests[0].body["repetition_penalty"] == 1.1


def test_embeddings_refuse_unknown_arguments() -> None:
    with pytest.raises(E.InvalidParameterError, match="model_kwargs"):
        CotomiEmbeddings(base_url=BASE, api_key="k" * 12, repetition_penalty=1.1)


# -- user:password@ in the base URL -------------------------------------------------------------

@pytest.mark.parametrize("url", [f"https://user:{PASSWORD}@gw.example/v1",
                                 f"http://{PASSWORD}@127.0.0.1:9/v1",
                                 "https://user:pw%2F-CANARY-9f8e7d6c5b4a@gw.example/v1"])
@pytest.mark.parametrize("cls", [ChatOpenAICompatible, OpenAICompatibleEmbeddings])
def test_userinfo_in_base_url_is_refused(cls: type, url: str) -> None:
    with pytest.raises(E.InvalidCredentialError, match="api_key") as info:
        cls(base_url=url, model="m")
    assert info.value.param == "base_url" and not leaks(info.value, repr(info.value))
    assert "CANARY" not in str(info.value)


@pytest.mark.parametrize("url", [f"https://user:{CANARY}@gw.example/v1",
                                 f"user:{CANARY}@gw.example/v1"])
def test_malformed_url_with_a_password_is_not_echoed(url: str) -> None:
    with pytest.raises(E.InvalidParameterError) as info:
        ChatOpenAICompatible(base_url=url, model="m")
    assert not leaks(info.value)


def test_userinfo_from_env_assignment_or_copy_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                         open_emu: Emulator) -> None:
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", f"https://u:{PASSWORD}@gw.example/v1")
    with pytest.raises(E.InvalidCredentialError) as info:
        ChatOpenAICompatible(model="m")
    assert not leaks(info.value)
    llm = ChatOpenAICompatible(base_url=open_emu.base_url, model="m")
    with pytest.raises(E.InvalidCredentialError):
        llm.base_url = f"https://u:{PASSWORD}@gw.example/v1"
    with pytest.raises(E.InvalidCredentialError):
        llm.model_copy(update={"base_url": f"https://u:{PASSWORD}@gw.example/v1"})
    assert llm.base_url == open_emu.base_url


# -- redaction of escaped forms -------------------------------------------------------------------

@pytest.mark.parametrize("form", [
    CANARY, repr(CANARY + "\n"), json.dumps(CANARY), json.dumps(CANARY).replace("/", "\\/"),
    "sk-CANARY%2F9f8e%2B7d6c%3D5b4a", "sk-CANARY/9f8e%2B7d6c%3D5b4a",
])
def test_redact_catches_escaped_forms(form: str) -> None:
    out = E.redact(f"server said: {form} (Bearer {form})", CANARY)
    assert "CANARY" not in out and "***" in out


@pytest.mark.parametrize("header", ["X-Api-Key", "Authorization", "x-auth-token"])
def test_credential_headers_never_show_in_repr_or_dumpd(header: str) -> None:
    llm = ChatCotomi(base_url=BASE, api_key="k" * 12,
                     default_headers={header: CANARY, "X-Tenant": "t1"})
    assert llm.default_headers is not None and llm.default_headers[header] == CANARY  # still sent
    assert not leaks(repr(llm), str(llm), dumps(llm), json.dumps(dumpd(llm)))
    assert "t1" in repr(llm)  # other headers stay visible
    emb = CotomiEmbeddings(base_url=BASE, api_key="k" * 12, default_headers={header: CANARY})
    assert not leaks(repr(emb), str(emb))
