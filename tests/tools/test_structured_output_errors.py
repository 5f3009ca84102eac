"""A structured-output error says which path ran, how many requests were made, which field
failed, and advises only what applies (issue: "raise max_tool_reasks" on a native path that
made one request whose JSON parsed).

Against the provider emulator: ``local`` (json_schema, json_mode and tools native) and
``cotomi`` (none of them: prompted JSON and emulated tool calls, re-asked).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, Field

from langchain_compat.chat_cli import build_model
from langchain_compat.chat_models.structured_errors import diagnose, failed_field
from langchain_compat.errors import StructuredOutputError
from langchain_compat.testing import emulate


class Order(BaseModel):
    item: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.\w+$")


class Person(BaseModel):
    name: str
    age: int


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    with emulate("local") as emu:
        yield emu


@pytest.fixture(scope="module")
def cotomi() -> Iterator[Any]:
    with emulate("cotomi") as emu:
        yield emu


def _llm(emu: Any, **kwargs: Any) -> Any:
    emu.reset()
    return build_model(emu.provider.name, base_url=emu.base_url, api_key=emu.api_key,
                       max_retries=0, **kwargs)


def _error(run: Any) -> StructuredOutputError:
    with pytest.raises(StructuredOutputError) as info:
        run()
    return info.value


def _chats(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/chat/completions"))


def test_native_json_schema_field_rule_one_request_no_reask_advice(local: Any) -> None:
    llm = _llm(local)
    chain = llm.with_structured_output(Order)  # local: native json_schema
    local.script([json.dumps({"item": "book", "email": "lee@"})])
    err = _error(lambda: chain.invoke("Order a book for lee@x.org"))
    text = str(err)
    assert err.path == "native json_schema" and err.requests == 1 and err.field == "email"
    assert "path: native json_schema" in text and "1 request)" in text and "field 'email'" in text
    assert "max_tool_reasks" not in text and "bigger model" not in text
    assert "grammar does not enforce" in text and "no re-asks" in text
    assert _chats(local) == 1
    local.script([json.dumps({"item": "book", "email": "lee@"})])
    assert str(_error(lambda: list(chain.stream("Order a book")))) == text  # stream: same error


def test_json_mode_advises_json_schema(local: Any) -> None:
    llm = _llm(local)
    local.script([json.dumps({"name": "Ada"})])
    err = _error(lambda: llm.with_structured_output(Person, method="json_mode").invoke("Ada?"))
    assert err.path == "json_mode" and err.requests == 1 and err.field == "age"
    assert "method='json_schema'" in str(err) and "max_tool_reasks" not in str(err)


def test_prompted_json_after_the_reasks_names_max_tool_reasks(cotomi: Any) -> None:
    llm = _llm(cotomi, max_tool_reasks=2)
    cotomi.script([json.dumps({"name": "Ada", "age": "old"})] * 3)
    err = _error(lambda: llm.with_structured_output(Person, method="json_schema").invoke("Ada?"))
    assert err.path == "prompted JSON" and err.requests == 3 and err.field == "age"
    assert "raise max_tool_reasks (now 2)" in str(err) and "3 requests" in str(err)
    assert _chats(cotomi) == 3


def test_emulated_function_calling_without_a_call(cotomi: Any) -> None:
    llm = _llm(cotomi, max_tool_reasks=1)
    cotomi.script(["I will not call anything.", "Still no call."])
    err = _error(lambda: llm.with_structured_output(Person).invoke("Ada?"))
    assert err.path == "function calling, emulated" and err.requests == 2 and err.field is None
    assert "raise max_tool_reasks (now 1)" in str(err)


def test_native_function_call_with_a_bad_argument_is_reasked_like_an_emulated_one(
        local: Any) -> None:
    """A native call's arguments are checked against the tool's schema like an emulated
    call's (one judge): a bad one is re-asked, and the error says the re-asks were spent."""
    llm = _llm(local)
    bad = {"content": "", "tool_calls": [{"name": "Person",
                                          "arguments": {"name": "Ada", "age": "old"}}]}
    local.script([bad, bad, bad])
    chain = llm.with_structured_output(Person, method="function_calling")
    err = _error(lambda: chain.invoke("Ada?"))
    assert err.path == "function calling" and err.requests == 3
    assert "age" in str(err) and "max_tool_reasks" in str(err)


def test_a_reply_cut_at_max_tokens_advises_max_tokens(local: Any) -> None:
    llm = _llm(local)
    local.script([{"content": '{"name": "Ada", "ag', "finish_reason": "length"}])
    err = _error(lambda: llm.with_structured_output(Person).invoke("Ada?"))
    assert "raise max_tokens" in str(err) and "max_tool_reasks" not in str(err)


def test_include_raw_carries_the_same_diagnosis(local: Any) -> None:
    llm = _llm(local)
    local.script([json.dumps({"item": "book", "email": "nope"})])
    out = llm.with_structured_output(Order, include_raw=True).invoke("Order")
    err = out["parsing_error"]
    assert isinstance(err, StructuredOutputError) and err.field == "email" and err.requests == 1
    assert out["raw"].response_metadata["requests"] == 1


# -- the pure parts ---------------------------------------------------------------------
def test_failed_field_reads_our_validator_and_pydantic() -> None:
    assert failed_field("the JSON does not match the schema: age: expected integer, got string") \
        == ("age", "expected integer, got string")
    assert failed_field("arguments: missing required argument 'age'") == ("age", "field required")
    assert failed_field("the tool call could not be used: 'Person': address.zip: expected string") \
        == ("address.zip", "expected string")
    assert failed_field("no JSON value found in the reply: 'hi'") == (None, None)
    assert failed_field("the tool call could not be used: None: could not read a tool call from "
                        "'x'; 'Person': arguments do not match the tool's schema: age: expected "
                        "integer, got string (no usable call of the required tool after 2 re-asks)"
                        ) == ("age", "expected integer, got string")
    try:
        Person(name="Ada", age="x")  # type: ignore[arg-type]
    except ValueError as exc:
        assert failed_field(str(exc), exc)[0] == "age"


def test_diagnose_paths_from_metadata() -> None:
    meta = {"tool_calling": "native", "downgrades": ["json_object"], "requests": 2}
    assert diagnose("x", bound="json_object", meta=meta).path == "native json_schema"
    prompted = diagnose("x", bound="json_schema", meta={"tool_calling": "emulated"})
    assert prompted.path == "prompted JSON"
    assert diagnose("x", bound="tools", meta={"tool_calling": "emulated"}).path \
        == "function calling, emulated"
