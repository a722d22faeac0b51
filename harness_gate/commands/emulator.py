"""`harness-gate emulator`: serve the Harness API emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from typing import Any, Optional

from harness_gate.errors import UsageError
from harness_gate.exit_codes import exit_codes_help
from harness_gate.model import RunResult
from harness_gate.settings import positive_int

INSTALL_HINT = (
    "harness-gate emulator needs graphql-core: install the emulator extra "
    "(pip install '.[emulator]' from a checkout) or pip install 'graphql-core>=3.2,<3.3'"
)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default 0: a free one)"
    )
    parser.add_argument(
        "--fixtures",
        metavar="FILE",
        default=None,
        help="YAML fixture describing the account (default: the packaged demo fixture)",
    )
    parser.add_argument(
        "--time-scale",
        type=_positive_float,
        default=1.0,
        metavar="X",
        help="emulator seconds per real second (default 1; e.g. 60 makes minutes pass in seconds)",
    )
    limits = parser.add_mutually_exclusive_group()
    limits.add_argument(
        "--rate-limit",
        type=positive_int,
        default=30,
        metavar="N",
        help="GraphQL calls per minute per account, as a paid account (default 30)",
    )
    limits.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="turn the rate limits off (like an on-prem install)",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="serve a local emulator of the Harness GraphQL API",
        description=(
            "Serve an emulator of the Harness CD FirstGen GraphQL API. The first line on "
            "stdout is `export HARNESS_ENDPOINT=... HARNESS_ACCOUNT_ID=... HARNESS_API_KEY=...` "
            "for a shell to eval; it serves until SIGINT or SIGTERM."
        ),
    )
    add_arguments(parser)
    parser.epilog = exit_codes_help("emulator")  # no HARNESS_* environment: it serves, not calls
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> RunResult:
    try:
        import graphql  # noqa: F401 - only to tell a missing extra from other import errors
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    from harness_gate.emulator import Emulator, FixtureError

    rate_limit: Optional[int] = None if getattr(args, "no_rate_limit", False) else args.rate_limit
    try:
        emulator = Emulator(
            fixtures=args.fixtures,
            host=args.host,
            port=args.port,
            time_scale=args.time_scale,
            rate_limit=rate_limit,
        )
        emulator.start()
    except FixtureError as e:
        raise UsageError(f"emulator: {e}") from None
    except OSError as e:
        raise UsageError(
            f"emulator: cannot listen on {args.host}:{args.port}: {e.strerror or e}"
        ) from None

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in emulator.env().items())
        print(f"export {exports}", flush=True)
        fixture = emulator.fixtures.source
        limit = "off" if rate_limit is None else f"{rate_limit}/min"
        print(
            f"harness-gate emulator: serving {emulator.endpoint} (fixture {fixture}, "
            f"time scale {args.time_scale:g}, rate limit {limit}); stop with Ctrl-C",
            file=sys.stderr,
            flush=True,
        )
        ng_key = emulator.ng_env().get("HARNESS_NG_API_KEY")
        if ng_key:
            print(
                "harness-gate emulator: for NextGen specs (platform: nextgen) use "
                f"HARNESS_API_KEY={shlex.quote(ng_key)} (a PAT of the emulated account)",
                file=sys.stderr,
                flush=True,
            )
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return RunResult(command="emulator", spec_path=None, deployments=[])
