"""Facts that follow a model family across providers, matched by model name (data).

A vLLM, TEI or Ollama server may serve ``intfloat/multilingual-e5-large``
under any provider record; what the model needs (here: the prefixes it was
trained with) belongs to the model, so it is declared once per family and
applied by :meth:`~langchain_compat.providers.Provider.profile_for` before
a provider's own per-model facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["E5_PREFIXES", "MODEL_FAMILIES", "ModelFamily", "family_changes", "is_e5_model"]

#: The prefixes e5 models were trained with: ``(query, passage)``.
E5_PREFIXES = ("query: ", "passage: ")


@dataclass(frozen=True, slots=True)
class ModelFamily:
    """Profile changes shared by every model whose name matches ``pattern``.

    Attributes:
        name: short id of the family.
        pattern: regular expression searched (case-insensitively) in the model name.
        exclude: names matching this are not in the family (variants trained otherwise).
        changes: :class:`~langchain_compat.profiles.Profile` fields to set.
    """

    name: str
    pattern: str
    exclude: str | None = None
    changes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def matches(self, model: str | None) -> bool:
        """Whether ``model`` names a model of this family."""
        if not model or not re.search(self.pattern, model, re.IGNORECASE):
            return False
        return not (self.exclude and re.search(self.exclude, model, re.IGNORECASE))


#: "e5" as its own name part: multilingual-e5-large, intfloat/e5-base-v2,
#: e5-small-q4. e5-mistral-7b-instruct and multilingual-e5-large-instruct are
#: trained with "Instruct: {task}\nQuery: " on queries and no prefix on
#: passages instead, so they are not in the family.
E5 = ModelFamily(
    name="e5",
    pattern=r"(?<![a-z0-9])e5(?![0-9])",
    exclude=r"instruct|mistral",
    changes=MappingProxyType({"embedding_prefixes": E5_PREFIXES}),
)

MODEL_FAMILIES: tuple[ModelFamily, ...] = (E5,)


def family_changes(model: str | None) -> dict[str, Any]:
    """The profile changes of every family ``model`` belongs to (later families win)."""
    out: dict[str, Any] = {}
    for family in MODEL_FAMILIES:
        if family.matches(model):
            out.update(family.changes)
    return out


def is_e5_model(name: str | None) -> bool:
    """Whether ``name`` names an e5 model trained with ``query: ``/``passage: `` prefixes."""
    return E5.matches(name)
