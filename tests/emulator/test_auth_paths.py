"""Auth schemes, base paths and routes, per provider (from Provider data)."""

from __future__ import annotations

import httpx
import pytest

from langchain_compat.providers import PROVIDERS

from .conftest import chat_body, post_chat

BEARER_PROVIDERS = ["ektos", "avangenio", "cotomi"]


def _error(r: httpx.Response) -> dict:
    body = r.json()
    assert set(body) == {"error"}
    assert {"message", "type", "code"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize("name", BEARER_PROVIDERS)
def test_bearer_providers_accept_the_key(emulator, name):
    emu = emulator(name)
    assert emu.headers == {"Authorization": f"Bearer {emu.api_key}"}
    r = post_chat(emu)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "Echo: hello world"


@pytest.mark.parametrize("name", BEARER_PROVIDERS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": "Basic abc"},
        {"x-api-key": "whatever"},
    ],
    ids=["missing", "wrong", "not-bearer", "other-header"],
)
def test_bearer_providers_refuse_bad_auth(emulator, name, headers):
    emu = emulator(name)
    r = post_chat(emu, headers=headers)
    assert r.status_code == 401
    err = _error(r)
    assert err["type"] == "authentication_error"
    assert err["code"] in ("missing_api_key", "invalid_api_key")


def test_telkom_takes_only_x_api_key(telkom):
    assert telkom.headers == {"x-api-key": telkom.api_key}
    assert post_chat(telkom).status_code == 200
    r = post_chat(telkom, headers={"Authorization": f"Bearer {telkom.api_key}"})
    assert r.status_code == 401
    err = _error(r)
    assert "x-api-key" in err["message"] and telkom.api_key not in r.text
    assert post_chat(telkom, headers={"x-api-key": "nope"}).status_code == 401
    assert post_chat(telkom, headers={}).status_code == 401
    # The OpenAI client in Telkom's docs sends both headers: the x-api-key wins.
    both = {"Authorization": "Bearer blaablaa", "x-api-key": telkom.api_key}
    assert post_chat(telkom, headers=both).status_code == 200


def test_wrong_key_message_never_echoes_the_presented_key(emulator):
    emu = emulator("cotomi")
    r = post_chat(emu, headers={"Authorization": "Bearer sk-presented-secret"})
    assert r.status_code == 401 and "sk-presented-secret" not in r.text


def test_configurable_key(emulator):
    emu = emulator("ektos", api_key="my-key-123")
    assert emu.api_key == "my-key-123"
    assert post_chat(emu, headers={"Authorization": "Bearer my-key-123"}).status_code == 200


def test_no_auth_for_keyless_providers(emulator):
    emu = emulator("local")
    assert emu.api_key is None and emu.headers == {}
    assert post_chat(emu, headers={}).status_code == 200
    keyed = emulator("openai-compatible", api_key="k-1234")
    assert post_chat(keyed, headers={}).status_code == 401


@pytest.mark.parametrize(
    ("name", "path"),
    [("telkom", "/Telkom-LLM/0.0.4"), ("ektos", "/v1"), ("avangenio", "/v1"), ("cotomi", "/v1")],
)
def test_base_url_path_comes_from_the_provider(emulator, name, path):
    emu = emulator(name, rate_limit=None)
    assert emu.base_url == f"{emu.url}{path}"
    assert emu.chat_url == emu.base_url + PROVIDERS[name].chat_path
    assert post_chat(emu).status_code == 200


def test_avangenio_served_with_and_without_v1(emulator):
    emu = emulator("avangenio")
    for url in (f"{emu.url}/v1/chat/completions", f"{emu.url}/chat/completions"):
        r = httpx.post(url, headers=emu.headers, json=chat_body(model="radiance"))
        assert r.status_code == 200, url


def test_telkom_is_not_served_at_the_root(telkom):
    r = httpx.post(
        f"{telkom.url}/chat/completions",
        headers=telkom.headers,
        json=chat_body(model="telkom-ai-instruct"),
    )
    assert r.status_code == 404
    assert _error(r)["code"] == "unknown_url"


def test_wrong_method_is_405(cotomi):
    r = httpx.get(cotomi.chat_url, headers=cotomi.headers)
    assert r.status_code == 405


def test_base_path_override(emulator):
    emu = emulator("cotomi", base_path="/tenant/acme/v1")
    assert emu.base_url.endswith("/tenant/acme/v1")
    assert post_chat(emu).status_code == 200


def test_models_lists_chat_and_embedding_models(cotomi):
    r = httpx.get(cotomi.base_url + "/models", headers=cotomi.headers)
    assert r.status_code == 200
    ids = [m["id"] for m in r.json()["data"]]
    assert ids == ["cotomi-fast-v2.0", "multilingual-e5-large"]
    assert httpx.get(cotomi.base_url + "/models").status_code == 401


def test_unknown_model_is_404_unless_lenient(emulator):
    emu = emulator("avangenio")
    r = post_chat(emu, model="gpt-4")
    assert r.status_code == 404 and _error(r)["code"] == "model_not_found"
    lenient = emulator("avangenio", strict_models=False)
    assert post_chat(lenient, model="gpt-4").status_code == 200


def test_env_points_a_client_here(emulator):
    emu = emulator("telkom")
    assert emu.env == {"TELKOM_BASE_URL": emu.base_url, "TELKOM_API_KEY": emu.api_key}


def test_request_ids(cotomi):
    r = post_chat(cotomi)
    assert r.headers["x-request-id"].startswith("req_")
