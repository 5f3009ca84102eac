"""How a call sends its tools: native, emulated, or a native probe (pure).

:func:`choose_mode` reads the ``tool_calling`` setting, then the profile, then
what the call's :class:`~langchain_compat.core.backend_memory.BackendMemory`
learned about the backend. A :class:`ToolModes` follows one call: a refusal of
the ``tools`` field turns a probe into emulation (learned for the backend); a
server that could not parse the model's call has the turn re-sent emulated
under ``auto`` (not learned: native works, this reply did not).
"""

from __future__ import annotations

from langchain_compat.chat_models.call_options import (
    CallOptions,
    CallSettings,
    ToolMode,
    ToolSetting,
)
from langchain_compat.core.error_mapping import is_tool_parse_failure, looks_like_tools_refusal
from langchain_compat.errors import APIError, CompatError, ToolsNotSupportedError

__all__ = ["ToolModes", "choose_mode"]


def choose_mode(settings: CallSettings, options: CallOptions) -> ToolMode:
    """The tool mode of a call: the setting, else the profile, else what ``auto`` learned.
    Emulation is constrained where the profile says the backend constrains decoding."""
    if not options.tools:
        return ToolMode.PLAIN
    if settings.tool_calling is ToolSetting.NATIVE:
        return ToolMode.NATIVE
    if settings.tool_calling is ToolSetting.EMULATED:
        return _emulated(settings, options)
    native = settings.profile.native_tools
    if native is None:
        native = settings.memory.native_tools(settings.backend(options))
    if native is None:
        return ToolMode.PROBE
    return ToolMode.NATIVE if native else _emulated(settings, options)


def _emulated(settings: CallSettings, options: CallOptions) -> ToolMode:
    """``CONSTRAINED`` where the profile allows it (``Profile.constrained``), nothing else
    needs ``response_format`` (structured output beside the tools) and ``tool_choice`` is
    not "none"; else ``EMULATED``."""
    if (settings.profile.constrained and options.structured is None
            and options.tool_choice != "none"):
        return ToolMode.CONSTRAINED
    return ToolMode.EMULATED


class ToolModes:
    """The tool mode of one call, and what an error answer does to it.

    Attributes:
        mode: the call's mode (``PROBE`` turns into ``NATIVE`` or ``EMULATED``).
        downgraded: ``tool_calling="auto"`` went emulated after a refusal (in
            this call, or learned earlier for the backend).
    """

    __slots__ = ("_options", "_settings", "downgraded", "mode")

    def __init__(self, settings: CallSettings, options: CallOptions) -> None:
        self._settings, self._options = settings, options
        self.mode = choose_mode(settings, options)
        self.downgraded = (self.mode.emulates and settings.tool_calling is ToolSetting.AUTO
                           and settings.profile.native_tools is None)  # a refusal was learned

    def renew(self, settings: CallSettings, options: CallOptions) -> None:
        """The call's settings changed (a refused field was left out): choose again,
        keeping what this call already learned."""
        self._settings, self._options = settings, options
        mode = choose_mode(settings, options)
        if not (self.mode.emulates and mode.sends_tools):  # switched in this call
            self.mode = mode

    def on_error(self, error: CompatError, *, received: bool, withheld: bool) -> bool:
        """Whether the failed request is sent again in another tool mode.

        Args:
            error: the failed attempt's error.
            received: whether any of a streamed answer was received.
            withheld: the request withheld tools.

        Raises:
            ToolsNotSupportedError: ``tool_calling="native"`` and the backend refused tools.
        """
        if received or withheld or not isinstance(error, APIError) or not self.mode.sends_tools:
            return False
        setting = self._settings.tool_calling
        if looks_like_tools_refusal(error):
            if setting is ToolSetting.NATIVE:
                raise ToolsNotSupportedError(
                    f"{error.message} (the backend refused native tools; use tool_calling='auto' "
                    "or 'emulated' to have tools rendered into the prompt)",
                    status_code=error.status_code, request_id=error.request_id,
                    provider=error.provider, body=error.body) from None
            self._settings.memory.learn_native_tools(self._settings.backend(self._options), False)
        elif is_tool_parse_failure(error) and setting is ToolSetting.AUTO:
            self.answered()  # the backend takes tools; this reply could not be parsed by it
        else:
            return False
        self.mode = _emulated(self._settings, self._options)
        self.downgraded = True
        return True

    def answered(self) -> None:
        """A request was answered: a native probe has worked (learned for the backend)."""
        if self.mode is ToolMode.PROBE:
            self._settings.memory.learn_native_tools(self._settings.backend(self._options), True)
            self.mode = ToolMode.NATIVE
