"""``langchain-compat emulate``: run a provider emulator on loopback until Ctrl-C.

Example::

    langchain-compat emulate --provider telkom --port 8080 --key secret
    langchain-compat emulate --provider cotomi --proxy http://127.0.0.1:8089/v1
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``emulate`` options to ``parser``."""
    from langchain_compat.providers import PROVIDERS

    parser.add_argument(
        "--provider",
        default="openai-compatible",
        choices=sorted(PROVIDERS),
        help="provider to emulate (default: openai-compatible)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--key", default=None, help="the accepted API key (default: a random one, printed)"
    )
    parser.add_argument(
        "--proxy",
        default=None,
        metavar="URL",
        help="forward unscripted chat requests to this OpenAI-compatible base URL",
    )
    parser.add_argument("--proxy-model", default=None, help="model name to send upstream")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="N",
        help="requests per --rate-window seconds (default: the provider's, if any)",
    )
    parser.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS",
                        help="the window of --rate-limit in seconds (default 60)")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="add this delay before every answer (Telkom documents about 2.1 s)",
    )
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="disable the provider's rate limit"
    )


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print how to reach it, serve until SIGINT/SIGTERM."""
    from langchain_compat.errors import ConfigurationError
    from langchain_compat.testing.emulator import Emulator
    from langchain_compat.testing.faults import latency

    options = {}
    if args.no_rate_limit:
        options["rate_limit"] = None
    elif args.rate_limit is not None:
        options["rate_limit"] = args.rate_limit
        options["rate_window"] = args.rate_window
    try:
        emu = Emulator(
            args.provider,
            api_key=args.key,
            host=args.host,
            port=args.port,
            proxy=args.proxy,
            proxy_model=args.proxy_model,
            **options,
        )
        emu.start()
        if args.latency > 0:
            emu.schedule(lambda _number: latency(args.latency))
    except (ConfigurationError, OSError) as exc:
        print(f"langchain-compat emulate: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        auth = emu.provider.auth
        print(f"Emulating {emu.provider.display_name} at {emu.base_url}", flush=True)
        if auth.header and emu.api_key:
            print(f"Auth: {auth.header}: {auth.prefix}{emu.api_key}", flush=True)
        for name, value in emu.env.items():
            print(f"export {name}={value}", flush=True)
        if args.proxy:
            print(f"Proxying unscripted chat to {args.proxy}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emu.stop()
        print("Emulator stopped.", flush=True)
    return 0
