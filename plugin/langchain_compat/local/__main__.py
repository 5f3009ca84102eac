"""``python -m langchain_compat.local install|up|down|status``.

The same as ``langchain-compat local``.
"""

from langchain_compat.local.cli import main

raise SystemExit(main())
