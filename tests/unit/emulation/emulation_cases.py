"""Shared tools and the table of replies (one row per format / edge case) for the
emulation tests. Each row: id, reply text, expected content, expected valid calls as
(name, args), expected invalid calls as (name, substring of the error)."""

from __future__ import annotations

from typing import NamedTuple

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer"},
            },
            "required": ["city"],
        },
    },
}
NOW = {"type": "function", "function": {"name": "now", "description": "The time.",
                                        "parameters": {"type": "object", "properties": {}}}}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Web search.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"},
                           "tags": {"type": "array", "items": {"type": "string"}}},
            "required": ["query"],
        },
    },
}
LOOKUP = {"type": "function", "function": {
    "name": "lookup", "description": "Encyclopedia.",
    "parameters": {"type": "object", "required": ["term"],
                   "properties": {"term": {"type": "string"}}}}}
TOOLS = [WEATHER, NOW, SEARCH, LOOKUP]
PARIS = ("get_weather", {"city": "Paris"})
# DeepSeek's special tokens use fullwidth bars and "lower one eighth block" spaces.
DS_CALLS = "<\uff5ctool\u2581calls\u2581begin\uff5c>"
DS_CALLS_END = "<\uff5ctool\u2581calls\u2581end\uff5c>"
DS_CALL = "<\uff5ctool\u2581call\u2581begin\uff5c>"
DS_CALL_END = "<\uff5ctool\u2581call\u2581end\uff5c>"
DS_SEP = "<\uff5ctool\u2581sep\uff5c>"


def seq_ids(i: int) -> str:
    """Deterministic ids so stream and invoke results compare equal."""
    return f"call_{i:024x}"


class Case(NamedTuple):
    id: str
    text: str
    content: str
    calls: list
    invalid: tuple = ()


CASES = [
    # --- Hermes / Qwen tags
    Case("hermes", '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
         "</tool_call>", "", [PARIS]),
    Case("hermes-prose-before-after", 'Let me check.\n\n<tool_call>{"name": "get_weather", '
         '"arguments": {"city": "Paris"}}</tool_call>\n\nOne moment.',
         "Let me check.\n\nOne moment.", [PARIS]),
    Case("hermes-unclosed", '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}',
         "", [PARIS]),
    # The reply stopped inside </tool_call>: the half tag is not part of the body. (A JSON
    # body reads the same without that rule; a markup or pythonic body does not.)
    Case("hermes-truncated-close", "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n"
         "</parameter>\n</function>\n</tool_ca", "", [PARIS]),
    Case("hermes-truncated-close-pythonic", '<tool_call>get_weather(city="Paris")</tool_ca', "",
         [PARIS]),
    Case("hermes-truncated-close-json", '<tool_call>{"name": "now", "arguments": {}}</tool_ca',
         "", [("now", {})]),
    Case("hermes-two", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}'
         '</tool_call>\n<tool_call>{"name": "now"}</tool_call>', "", [PARIS, ("now", {})]),
    # The first call's body ends where the next <tool_call> opens. (Two JSON bodies read the
    # same without that rule; a pythonic body does not.)
    Case("hermes-two-missing-first-close", '<tool_call>get_weather(city="Paris")\n'
         "<tool_call>now()</tool_call>", "", [PARIS, ("now", {})]),
    Case("hermes-two-missing-first-close-json", '<tool_call>{"name": "get_weather", "arguments": '
         '{"city": "Paris"}}\n<tool_call>{"name": "now", "arguments": {}}</tool_call>',
         "", [PARIS, ("now", {})]),
    Case("hermes-two-objects-in-one-tag", '<tool_call>\n{"name": "now", "arguments": {}}\n'
         '{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
         "", [("now", {}), PARIS]),
    Case("hermes-fenced-inside", '<tool_call>\n```json\n{"name": "now", "arguments": {}}\n```\n'
         "</tool_call>", "", [("now", {})]),
    Case("hermes-args-json-string", '<tool_call>{"name": "get_weather", "arguments": '
         '"{\\"city\\": \\"Paris\\"}"}</tool_call>', "", [PARIS]),
    Case("hermes-broken-json", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"'
         "</tool_call>", "", [PARIS]),
    Case("hermes-name-then-json", '<tool_call>get_weather\n{"city": "Paris"}</tool_call>',
         "", [PARIS]),
    Case("tool_calls-tag", '<tool_calls>[{"name": "now", "arguments": {}}]</tool_calls>',
         "", [("now", {})]),
    Case("function_call-tag", '<function_call>{"name": "now", "arguments": {}}</function_call>',
         "", [("now", {})]),
    Case("phi4-tag", '<|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}]'
         "<|/tool_call|>", "", [PARIS]),
    # --- bare JSON
    Case("bare-object", '{"name": "get_weather", "arguments": {"city": "Paris"}}', "", [PARIS]),
    Case("bare-parameters", '{"name": "get_weather", "parameters": {"city": "Paris"}}', "",
         [PARIS]),
    Case("bare-tool-tool_input", '{"tool": "get_weather", "tool_input": {"city": "Paris"}}', "",
         [PARIS]),
    Case("bare-array", '[{"name": "get_weather", "arguments": {"city": "Paris"}}, '
         '{"name": "now", "arguments": {}}]', "", [PARIS, ("now", {})]),
    # Calls written as the items of a list without its brackets (seen from the 0.5B model).
    Case("bare-comma-separated", '{"name": "get_weather", "arguments": {"city": "Paris"}},\n'
         '{"name": "now", "arguments": {}}', "", [PARIS, ("now", {})]),
    Case("bare-trailing-comma", '{"name": "now", "arguments": {}},', "", [("now", {})]),
    Case("bare-comma-then-prose", '{"name": "now", "arguments": {}}, which I will not run.',
         '{"name": "now", "arguments": {}}, which I will not run.', []),
    # Arithmetic where a value belongs is refused, not read as its first number (was days=3).
    Case("bare-expression-argument", '{"name": "get_weather", "arguments": {"city": "Paris", '
         '"days": 3 + 4}}', "", [], (("get_weather", "days: expected integer"),)),
    Case("bare-prose-before", 'Sure, calling it: {"name": "get_weather", "arguments": '
         '{"city": "Paris"}}', "Sure, calling it:", [PARIS]),
    # Untagged call-shaped JSON with prose after it is shown, not made (issue 23, item 15).
    Case("bare-prose-around", 'The docs show this example: {"name": "get_weather", '
         '"arguments": {"city": "Paris"}} which I will not run.',
         'The docs show this example: {"name": "get_weather", "arguments": {"city": "Paris"}} '
         "which I will not run.", []),
    Case("fence-in-prose", 'The docs show:\n```json\n{"name": "get_weather", "arguments": '
         '{"city": "Paris"}}\n```\nwhich I will not run.',
         'The docs show:\n```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
         "```\nwhich I will not run.", []),
    Case("openai-wrapper", '{"type": "function", "function": {"name": "get_weather", '
         '"arguments": "{\\"city\\": \\"Paris\\"}"}}', "", [PARIS]),
    Case("function-wrapper", '{"function": {"name": "get_weather", "arguments": '
         '{"city": "Paris"}}}', "", [PARIS]),
    Case("tool_calls-object", '{"tool_calls": [{"id": "x", "type": "function", "function": '
         '{"name": "now", "arguments": "{}"}}]}', "", [("now", {})]),
    Case("python-literal", "{'name': 'get_weather', 'arguments': {'city': 'Paris', "
         "'unit': None,},}", "", [PARIS]),
    Case("trailing-comma", '{"name": "get_weather", "arguments": {"city": "Paris",},}', "",
         [PARIS]),
    # cut off: repair would have to invent the ending (was a valid call before)
    Case("unclosed-bare", '{"name": "get_weather", "arguments": {"city": "Paris"', "", [],
         [("get_weather", "cut off at the end of the reply")]),
    Case("no-arguments-key", '{"name": "now"}', "", [("now", {})]),
    # --- fences
    Case("fence-json", 'Calling:\n```json\n{"name": "get_weather", "arguments": '
         '{"city": "Paris"}}\n```', "Calling:", [PARIS]),
    Case("fence-plain", '```\n{"name": "now", "arguments": {}}\n```', "", [("now", {})]),
    Case("fence-tool_call", '```tool_call\n{"name": "get_weather", "arguments": '
         '{"city": "Paris"}}\n```', "", [PARIS]),
    Case("fence-unclosed", '```json\n{"name": "now", "arguments": {}}', "", [("now", {})]),
    # --- Mistral / Llama
    Case("mistral-array", '[TOOL_CALLS] [{"name": "get_weather", "arguments": '
         '{"city": "Paris"}}]', "", [PARIS]),
    Case("mistral-named", '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}', "", [PARIS]),
    Case("mistral-named-call-id", '[TOOL_CALLS]now[CALL_ID]abc123XYZ[ARGS]{}', "",
         [("now", {})]),
    Case("llama-python-tag-json", '<|python_tag|>{"name": "get_weather", "parameters": '
         '{"city": "Paris"}}<|eom_id|>', "", [PARIS]),
    Case("llama-python-tag-call", '<|python_tag|>get_weather.call(city="Paris")', "", [PARIS]),
    Case("llama-function-tag", 'Checking. <function=get_weather>{"city": "Paris"}</function>',
         "Checking.", [PARIS]),
    Case("llama-function-tag-no-args", "<function=now></function>", "", [("now", {})]),
    Case("llama-pythonic-list", '[get_weather(city="Paris"), now()]', "",
         [PARIS, ("now", {})]),
    Case("qwen3-coder-xml", "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n"
         "</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>", "",
         [("get_weather", {"city": "Paris", "days": 3})]),
    Case("function-tag-xml-params", "<function=get_weather><parameter=city>Paris</parameter>"
         "</function>", "", [PARIS]),
    Case("tags-in-xml-fence", 'Here:\n```xml\n<tool_call>{"name": "now"}</tool_call>\n```\nok',
         "Here:\nok", [("now", {})]),
    Case("xml-fence-not-call", '```xml\n<note>{"name": "now"}</note>\n```',
         '```xml\n<note>{"name": "now"}</note>\n```', []),
    Case("think-block-is-text", '<think>Maybe <tool_call>{"name": "now"}</tool_call>?</think>'
         "It is 4.", '<think>Maybe <tool_call>{"name": "now"}</tool_call>?</think>It is 4.', []),
    Case("call-after-think", '<think>need time</think>\n<tool_call>{"name": "now"}</tool_call>',
         "<think>need time</think>", [("now", {})]),
    Case("pythonic-list-in-tag", '<tool_call>[get_weather(city="Paris")]</tool_call>', "",
         [PARIS]),
    Case("deepseek-v3", f"{DS_CALLS}{DS_CALL}function{DS_SEP}get_weather\n```json\n"
         f'{{"city": "Paris"}}\n```{DS_CALL_END}{DS_CALLS_END}', "", [PARIS]),
    Case("deepseek-v3.1", f'{DS_CALLS}{DS_CALL}get_weather{DS_SEP}{{"city": "Paris"}}'
         f"{DS_CALL_END}{DS_CALLS_END}", "", [PARIS]),
    Case("kimi-k2", "Sure.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
         '<|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|>'
         "<|tool_calls_section_end|>", "Sure.", [PARIS]),
    Case("glm-4.5", "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>"
         "\n<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>", "",
         [("get_weather", {"city": "Paris", "days": 2})]),
    Case("gemma-tool_code", '```tool_code\nprint(get_weather(city="Paris"))\n```', "", [PARIS]),
    Case("nemotron", '<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}]'
         "</TOOLCALL>", "", [PARIS]),
    Case("internlm2", '<|action_start|><|plugin|>\n{"name": "get_weather", "parameters": '
         '{"city": "Paris"}}<|action_end|>', "", [PARIS]),
    Case("functions-prefix", '<tool_call>{"name": "functions.get_weather", "arguments": '
         '{"city": "Paris"}}</tool_call>', "", [PARIS]),
    Case("python-tag-eom-then-text", '<|python_tag|>get_weather.call(city="Paris")<|eom_id|> ok',
         "ok", [PARIS]),
    # --- validation and coercion
    Case("coerce-int", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", '
         '"days": "3"}}</tool_call>', "", [("get_weather", {"city": "Paris", "days": 3})]),
    Case("unknown-tool-explicit", '<tool_call>{"name": "book_flight", "arguments": {}}'
         "</tool_call>", "", [], [("book_flight", "unknown tool")]),
    Case("schema-missing-required", '<tool_call>{"name": "get_weather", "arguments": {}}'
         "</tool_call>", "", [], [("get_weather", "missing required argument 'city'")]),
    Case("schema-bad-enum", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", '
         '"unit": "kelvin"}}</tool_call>', "", [], [("get_weather", "must be one of")]),
    Case("schema-bad-type", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", '
         '"days": "soon"}}</tool_call>', "", [], [("get_weather", "expected integer")]),
    Case("unparseable", "<tool_call>I would like to check the weather</tool_call>", "", [],
         [(None, "could not read a tool call")]),
    Case("no-name", '<tool_call>{"arguments": {"city": "Paris"}}</tool_call>', "", [],
         [(None, "no function name")]),
    Case("valid-and-invalid", '<tool_call>{"name": "nope", "arguments": {}}</tool_call>'
         '<tool_call>{"name": "now", "arguments": {}}</tool_call>', "",
         [("now", {})], [("nope", "unknown tool")]),
    # --- prose that is not a call
    Case("prose-mentions-tool", "I can use get_weather or now if you want.",
         "I can use get_weather or now if you want.", []),
    Case("json-example", 'A config looks like {"city": "Paris", "unit": "c"}.',
         'A config looks like {"city": "Paris", "unit": "c"}.', []),
    Case("json-example-unknown-name", 'Example: {"name": "Alice", "age": 30}',
         'Example: {"name": "Alice", "age": 30}', []),
    Case("json-fence-not-call", 'Result:\n```json\n{"temperature": 21}\n```',
         'Result:\n```json\n{"temperature": 21}\n```', []),
    Case("json-fence-unknown-tool", '```json\n{"name": "other", "arguments": {}}\n```',
         '```json\n{"name": "other", "arguments": {}}\n```', []),
    Case("python-fence", 'Code:\n```python\nx = {"name": "now", "arguments": {}}\n```\nDone.',
         'Code:\n```python\nx = {"name": "now", "arguments": {}}\n```\nDone.', []),
    Case("brackets-and-less-than", "Note [1]: 3 < 4, `x`, and {braces}.",
         "Note [1]: 3 < 4, `x`, and {braces}.", []),
    Case("markdown-link", "[docs](https://example.com) <b>bold</b>",
         "[docs](https://example.com) <b>bold</b>", []),
    Case("plain", "  Hello there!  \n", "Hello there!", []),
    Case("empty", "", "", []),
]

CUT = "cut off at the end of the reply"
CUT_BEFORE_NEXT = "cut off before the next call"
QUERY = ("search", {"query": "what does <tool_call> mean"})
# Truncated output is never a runnable call: JSON still open where the text ends was cut off.
TRUNCATION_CASES = [
    Case("cut-hermes-in-string", '<tool_call>{"name": "get_weather", "arguments": {"city": "Par',
         "", [], [("get_weather", "unterminated string")]),
    Case("cut-hermes-braces", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"',
         "", [], [("get_weather", "missing closing brackets")]),
    Case("cut-hermes-one-brace",
         '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}',
         "", [], [("get_weather", CUT)]),
    Case("cut-after-a-closed-call", '<tool_call>{"name": "now"}</tool_call>\n<tool_call>{"name": '
         '"get_weather", "arguments": {"ci', "", [("now", {})], [("get_weather", CUT)]),
    Case("cut-fence-json", '```json\n{"name": "get_weather", "arguments": {"city": "Pa', "", [],
         [("get_weather", CUT)]),
    Case("cut-fence-tool_call", '```tool_call\n{"name": "now", "arguments": {', "", [],
         [("now", CUT)]),
    Case("cut-mistral-named", '[TOOL_CALLS]get_weather[ARGS]{"city": "Pa', "", [],
         [("get_weather", CUT)]),
    Case("cut-mistral-array", '[TOOL_CALLS] [{"name": "now", "arguments": {}}', "", [],
         [("now", CUT)]),
    Case("cut-function-tag", '<function=get_weather>{"city": "Pa', "", [], [("get_weather", CUT)]),
    Case("cut-qwen3-coder-xml", "<tool_call>\n<function=get_weather>\n<parameter=city>\nPar", "",
         [], [("get_weather", "its last tag is not finished")]),
    Case("cut-glm", "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>"
         "\n<arg_key>days</arg_key>\n<arg_val", "", [], [("get_weather", CUT)]),
    Case("cut-kimi", "<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>"
         '{"city": "Pa', "", [], [("get_weather", CUT)]),
    Case("cut-python-tag-json", '<|python_tag|>{"name": "get_weather", "parameters": {"city": "P',
         "", [], [("get_weather", CUT)]),
    Case("cut-name-then-json", '<tool_call>get_weather\n{"city": "Pa', "", [],
         [("get_weather", CUT)]),
    Case("cut-bare-array", '[{"name": "now", "arguments": {}}, {"name": "get_weather", "argu', "",
         [], [("get_weather", CUT)]),
    Case("cut-example-json-stays-text", 'Like {"name": "Alice", "age": 3',
         'Like {"name": "Alice", "age": 3', []),
    # repair still fixes what the model wrote: quotes, commas, a body closed by its tag
    Case("repair-single-quotes-unclosed-tag", "<tool_call>{'name': 'get_weather', 'arguments': "
         "{'city': 'Paris',},}", "", [PARIS]),
    Case("repair-closed-by-tag", '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris",'
         "</tool_call>", "", [PARIS]),
    Case("complete-json-unclosed-tag", '<tool_call>{"name": "search", "arguments": {"query": '
         '"abc</tool_c"}}', "", [("search", {"query": "abc</tool_c"})]),
]

# The body of a tag ends at its closing tag or (forgotten closing tag) the next opening tag,
# neither of which counts inside a JSON string.
TAG_IN_STRING_CASES = [
    Case("open-tag-in-string", '<tool_call>{"name": "search", "arguments": {"query": "what does '
         '<tool_call> mean"}}</tool_call>', "", [QUERY]),
    Case("open-tag-in-string-unclosed", '<tool_call>{"name": "search", "arguments": {"query": '
         '"what does <tool_call> mean"}}', "", [QUERY]),
    Case("close-tag-in-string", '<tool_call>{"name": "search", "arguments": {"query": "what does '
         '</tool_call> mean"}}</tool_call>', "",
         [("search", {"query": "what does </tool_call> mean"})]),
    Case("two-calls-tag-in-first-string", '<tool_call>{"name": "search", "arguments": {"query": '
         '"what does <tool_call> mean"}}</tool_call>\n<tool_call>{"name": "now"}</tool_call>', "",
         [QUERY, ("now", {})]),
    Case("first-unclosed-before-next", '<tool_call>{"name": "now"\n<tool_call>{"name": '
         '"get_weather", "arguments": {"city": "Paris"}}</tool_call>', "", [PARIS],
         [("now", CUT_BEFORE_NEXT)]),
    Case("first-unclosed-before-next-unknown", '<tool_call>{"name": "now"\n<tool_call>{"name":'
         '"weather","arguments":{"city":"Paris"}}</tool_call>', "", [],
         [("now", CUT_BEFORE_NEXT), ("weather", "unknown tool")]),
    Case("forgotten-close-name-then-json", '<tool_call>get_weather\n{"city": "Paris"}\n'
         '<tool_call>{"name": "now"}</tool_call>', "", [PARIS, ("now", {})]),
    Case("forgotten-close-python", "<tool_call>now()\n<tool_call>get_weather(city='Paris')",
         "", [("now", {}), PARIS]),
    Case("close-cut-into-open-string", '<tool_call>{"name": "search", "arguments": {"query": "abc'
         '</tool_c', "", [], [("search", "unterminated string")]),
    Case("half-close-trimmed-python", "<tool_call>now()</tool_ca", "", [("now", {})]),
    Case("half-close-trimmed-xml", "<tool_call>\n<function=now>\n</function>\n</tool_ca", "",
         [("now", {})]),
    Case("half-eom-trimmed", '<|python_tag|>get_weather.call(city="Paris")<|eo', "", [PARIS]),
    Case("missing-quote-before-close", '<tool_call>{"name": "now", "arguments": {}, "id": "x}'
         "</tool_call>\nDone.", "Done.", [("now", {})]),
]

# A call-shaped text the reply only mentions stays text.
MENTION_CASES = [
    Case("inline-code", 'Use `<tool_call>{"name": "now"}</tool_call>` to call it.',
         'Use `<tool_call>{"name": "now"}</tool_call>` to call it.', []),
    Case("inline-code-bare-json", 'Send `{"name": "now", "arguments": {}}` to the API.',
         'Send `{"name": "now", "arguments": {}}` to the API.', []),
    Case("inline-code-double", '``<tool_call>{"name": "now"}</tool_call>``',
         '``<tool_call>{"name": "now"}</tool_call>``', []),
    Case("quote-line", '> <tool_call>{"name": "now"}</tool_call>\nThat is the format.',
         '> <tool_call>{"name": "now"}</tool_call>\nThat is the format.', []),
    Case("quote-line-with-prose", '> Example: {"name": "now", "arguments": {}}\nok',
         '> Example: {"name": "now", "arguments": {}}\nok', []),
    Case("quote-lines-multiline", '> <tool_call>\n> {"name": "now"}\n> </tool_call>',
         '> <tool_call>\n> {"name": "now"}\n> </tool_call>', []),
    Case("mid-sentence",
         'I could make the call <tool_call>{"name": "now"}</tool_call> which I will not run.',
         'I could make the call <tool_call>{"name": "now"}</tool_call> which I will not run.',
         []),
    Case("mid-sentence-bare", 'The object {"name": "now", "arguments": {}} is a call shape.',
         'The object {"name": "now", "arguments": {}} is a call shape.', []),
    Case("mid-sentence-comma", 'Write <tool_call>{"name": "now"}</tool_call>, then wait.',
         'Write <tool_call>{"name": "now"}</tool_call>, then wait.', []),
    Case("stray-backtick-then-call", 'it`s late\n<tool_call>{"name": "now"}</tool_call>',
         "it`s late", [("now", {})]),
    # ...and replies that announce a call still make it
    Case("exclaim-then-call", 'Sure! <tool_call>{"name": "now"}</tool_call>', "Sure!",
         [("now", {})]),
    Case("prose-then-call-ends-line",
         'Let me check <tool_call>{"name": "now"}</tool_call>\nOne moment.',
         "Let me check One moment.", [("now", {})]),  # (whitespace after a call is dropped)
    Case("prose-then-call-ends-reply", 'Let me check <tool_call>{"name": "now"}</tool_call>',
         "Let me check", [("now", {})]),
    Case("sentence-then-call-then-prose",
         'Sure. <tool_call>{"name": "now"}</tool_call> One moment.',
         "Sure. One moment.", [("now", {})]),
    Case("prose-then-two-calls", 'I will call <tool_call>{"name": "now"}</tool_call> <tool_call>'
         '{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', "I will call",
         [("now", {}), PARIS]),
    Case("quote-then-call-line", '> a quote\n<tool_call>{"name": "now"}</tool_call>', "> a quote",
         [("now", {})]),
    Case("think-then-call-same-line",
         '<think>hmm</think> <tool_call>{"name": "now"}</tool_call> ok',
         "<think>hmm</think> ok", [("now", {})]),
]

# functionary v3, ReAct, plain tool_input strings, llama-server's generic shapes
NEW_FORMAT_CASES = [
    Case("functionary-call", '>>>get_weather\n{"city": "Paris"}', "", [PARIS]),
    Case("functionary-text-then-call", '>>>all\nLet me check.>>>get_weather\n{"city": "Paris"}',
         "Let me check.", [PARIS]),
    Case("functionary-two-calls", '>>>now\n{}\n>>>get_weather\n{"city": "Paris"}', "",
         [("now", {}), PARIS]),
    Case("functionary-text-only", ">>>all\nHello there!", "Hello there!", []),
    Case("functionary-call-then-text", '>>>get_weather\n{"city": "Paris"}>>>all\nDone.', "Done.",
         [PARIS]),
    Case("functionary-unknown-tool", '>>>fly\n{"to": "Rome"}', "", [], [("fly", "unknown tool")]),
    Case("functionary-cut-no-args", ">>>get_weather\n", "", [],
         [("get_weather", "arguments are missing")]),
    Case("python-repl-is-text", ">>> x = 1\n>>>print(x)\n", ">>> x = 1\n>>>print(x)", []),
    Case("react-json", 'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": '
         '"Paris"}\nObservation:', "Thought: I need the weather.", [PARIS]),
    Case("react-plain-string", "Action: lookup\nAction Input: Alan Turing\nObservation:", "",
         [("lookup", {"term": "Alan Turing"})]),
    Case("react-quoted-string", 'Action: lookup\nAction Input: "Alan Turing"', "",
         [("lookup", {"term": "Alan Turing"})]),
    Case("react-observation-kept-when-followed", "Action: lookup\nAction Input: Paris\n"
         "Observation: a city\nThought: done", "Observation: a city\nThought: done",
         [("lookup", {"term": "Paris"})]),
    Case("react-numbered", 'Action 1: get_weather\nAction 1 Input: {"city": "Paris"}', "", [PARIS]),
    Case("react-plain-string-multi-param-tool", "Action: get_weather\nAction Input: Paris", "", [],
         [("get_weather", "arguments")]),
    Case("react-cut-json", 'Action: get_weather\nAction Input: {"city": "Pa', "", [],
         [("get_weather", CUT)]),
    Case("react-not-at-line-start", "The Action: get_weather\nAction Input: Paris",
         "The Action: get_weather\nAction Input: Paris", []),
    Case("action-items-prose", "Action items: buy milk.", "Action items: buy milk.", []),
    Case("tool_input-plain-string", '{"tool": "lookup", "tool_input": "Alan Turing"}', "",
         [("lookup", {"term": "Alan Turing"})]),
    Case("input-plain-string-in-tag", '<tool_call>{"name": "lookup", "input": "Paris"}</tool_call>',
         "", [("lookup", {"term": "Paris"})]),
    Case("tool_input-json-string", '{"tool": "lookup", "tool_input": "{\\"term\\": \\"x\\"}"}', "",
         [("lookup", {"term": "x"})]),
    Case("tool_input-string-multi-param-tool", '<tool_call>{"name": "search", "tool_input": "cats"}'
         "</tool_call>", "", [], [("search", "arguments")]),
    Case("tool_input-string-multi-param-bare", '{"tool": "search", "tool_input": "cats"}',
         '{"tool": "search", "tool_input": "cats"}', []),
    Case("arguments-plain-string-still-invalid",
         '<tool_call>{"name": "lookup", "arguments": "Paris"}</tool_call>', "", [],
         [("lookup", "arguments")]),
    Case("generic-tool_call",
         '{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}',
         "", [PARIS]),
    Case("generic-tool_calls", '{"tool_calls": [{"name": "now", "arguments": {}, "id": "123"}]}',
         "", [("now", {})]),
    Case("generic-response-is-text", '{"response": "Hello"}', '{"response": "Hello"}', []),
]

ALL_CASES = CASES + TRUNCATION_CASES + TAG_IN_STRING_CASES + MENTION_CASES + NEW_FORMAT_CASES
