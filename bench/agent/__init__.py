"""Agent benchmark: ``python -m bench.agent`` (tool-calling tasks against a real server).

Modules: ``tools`` (deterministic fake tools), ``tasks`` (the tasks and what
a right run looks like), ``scoring`` (calls and answers checked), ``loop``
(the agent loop, public LangChain API only), ``clients`` (the chat models
compared), ``report`` (scores and tables), ``run`` (the command line).
"""
