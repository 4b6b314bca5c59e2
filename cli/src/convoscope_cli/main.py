"""The ``convoscope`` command: ``analyze``, ``serve``, ``doctor``, ``--version``."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

from convoscope_cli import __version__
from convoscope_cli.errors import EXIT_OK, EXIT_USAGE, CliError, UsageError
from convoscope_cli.options import (
    DEFAULT_FORMATS,
    FORMATS,
    AnalyzeRequest,
    check_timezone,
    parse_filter,
    parse_formats,
)
from convoscope_common.logs import configure_logging

ANALYZE_EXAMPLES = """\
examples:
  convoscope analyze conversations.json
  convoscope analyze data-2026-01-31.zip --out ~/reports --format html,pdf --timezone Europe/Paris
  convoscope analyze export.zip --filter date_from=2025-01-01 --filter roles=user
  convoscope analyze export.zip --json > summary.json
  convoscope analyze export.zip --server http://127.0.0.1:5000 --api-key "$KEY"
  convoscope analyze export.zip --no-redact --yes-include-personal-data

exit codes: 0 done; 2 usage error; 3 the export was rejected (code and message on
stderr); 4 server unreachable or unauthorised; 5 analysis failed.
"""

SERVE_EXAMPLES = """\
examples:
  convoscope serve
  convoscope serve --port 8080
  convoscope serve --nats-url nats://127.0.0.1:4222 --analyzers 2

Every option is the local launcher's (python -m convoscope_stack), listed below.
"""

DOCTOR_EXAMPLES = """\
examples:
  convoscope doctor
  convoscope doctor --server http://127.0.0.1:5000 --api-key "$KEY"
  convoscope doctor --json

Exit code 0 when nothing failed (warnings allowed), 1 when a check failed.
"""

MAIN_EXAMPLES = """\
examples:
  convoscope analyze conversations.json          # reports in ./convoscope-report/
  convoscope serve                               # the web service on http://127.0.0.1:5000
  convoscope doctor                              # check this machine
  convoscope analyze --help                      # every option of a command
"""


def _launcher_help() -> str:
    """The stack launcher's own option list (its parser prints and exits on --help)."""
    from convoscope_stack.__main__ import main as stack_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        stack_main(["--help"])
    return out.getvalue()


def build_parser(*, with_launcher_help: bool = False) -> argparse.ArgumentParser:
    """The argument parser of every command."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="convoscope",
        description="Analyse your claude.ai or ChatGPT export: in this process, or "
        "through a ConvoScope server.",
        epilog=MAIN_EXAMPLES,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"convoscope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze",
        help="analyse an export and write reports",
        description="Analyse EXPORT (conversations.json or the export ZIP) and write the "
        "reports. Without --server everything runs in this process; personal data is "
        "redacted unless --no-redact is confirmed.",
        epilog=ANALYZE_EXAMPLES,
        formatter_class=fmt,
    )
    analyze.add_argument("export", type=Path, metavar="EXPORT")
    analyze.add_argument(
        "--out",
        type=Path,
        default=Path("convoscope-report"),
        metavar="DIR",
        help="folder for the reports (default: ./convoscope-report/)",
    )
    analyze.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        metavar="LIST",
        help=f"comma-separated, any of {','.join(FORMATS)} (default: all)",
    )
    analyze.add_argument("--timezone", default="UTC", metavar="TZ", help="IANA name (default UTC)")
    analyze.add_argument(
        "--no-redact",
        action="store_true",
        help="keep personal data in the reports (needs confirmation)",
    )
    analyze.add_argument(
        "--yes-include-personal-data",
        action="store_true",
        help="confirm --no-redact without a prompt",
    )
    analyze.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="restrict the reports: date_from, date_to, roles, topics, models, sentiment, "
        "conversation_ids (lists comma-separated); or a JSON object, or @file.json",
    )
    analyze.add_argument("--server", metavar="URL", help="use this ConvoScope server")
    analyze.add_argument(
        "--api-key",
        default=os.environ.get("CONVOSCOPE_API_KEY"),
        metavar="KEY",
        help="API key for --server (default: $CONVOSCOPE_API_KEY)",
    )
    analyze.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes rendering the formats (default: the cores available)",
    )
    analyze.add_argument("--json", action="store_true", help="print one JSON object at the end")
    analyze.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")

    serve = commands.add_parser(
        "serve",
        help="run the ConvoScope service locally",
        description="Start nats-server and every ConvoScope service (what `make run` "
        "starts) until Ctrl-C.",
        epilog=SERVE_EXAMPLES + (_launcher_help() if with_launcher_help else ""),
        formatter_class=fmt,
    )
    del serve  # its options are the launcher's, passed through as they are

    doctor = commands.add_parser(
        "doctor",
        help="check this machine and a server",
        description="Check Python, the installed packages, ports, NATS, a server's "
        "/api/health and the disk space for .data.",
        epilog=DOCTOR_EXAMPLES,
        formatter_class=fmt,
    )
    doctor.add_argument("--server", metavar="URL", help="server to ask (default: local settings)")
    doctor.add_argument("--api-key", default=os.environ.get("CONVOSCOPE_API_KEY"), metavar="KEY")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        wants_help = any(a in ("-h", "--help") for a in args_list[1:])
        if not wants_help:
            from convoscope_stack.__main__ import main as stack_main

            return stack_main(args_list[1:])
    parser = build_parser(with_launcher_help=args_list[:1] == ["serve"])
    args = parser.parse_args(args_list)
    # The engine's stage logs are for services; here stdout is the report (or --json)
    # and stderr the progress, so only warnings and errors are logged, to stderr.
    # (The pool's workers are forked and inherit this.)
    configure_logging("cli", level="WARNING")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "doctor":
        return _doctor(args)
    return _analyze(args)


def _doctor(args: argparse.Namespace) -> int:
    from convoscope_cli.doctor import report, run_checks
    from convoscope_common.config import ConfigurationError, load_settings

    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"convoscope: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return report(run_checks(settings, args.server, args.api_key), as_json=args.json)


def _confirm_personal_data(args: argparse.Namespace) -> None:
    if not args.no_redact or args.yes_include_personal_data:
        return
    warning = (
        "--no-redact writes names, e-mail addresses, phone numbers and other personal "
        "data into the reports"
    )
    if args.json or not sys.stdin.isatty():
        raise UsageError(f"{warning}; add --yes-include-personal-data to confirm")
    answer = input(f"{warning}. Type 'yes' to continue: ")
    if answer.strip().lower() != "yes":
        raise UsageError("not confirmed; nothing was done")


def _request(args: argparse.Namespace) -> AnalyzeRequest:
    from convoscope_cli.render import available_cores

    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (all cores) or more")
    if args.api_key and not args.server:
        raise UsageError("--api-key is for --server; an in-process run needs no key")
    return AnalyzeRequest(
        export=args.export,
        out_dir=args.out,
        formats=parse_formats(args.format),
        timezone=check_timezone(args.timezone),
        include_pii=args.no_redact,
        filter=parse_filter(args.filter),
        server=args.server,
        api_key=args.api_key,
        jobs=args.jobs or available_cores(),
    )


def _analyze(args: argparse.Namespace) -> int:
    from convoscope_cli.progress import make_reporter

    reporter = None
    try:
        request = _request(args)
        _confirm_personal_data(args)
        reporter = make_reporter(quiet=args.quiet or args.json)
        if request.server:
            from convoscope_cli.remote import run_remote

            outcome = run_remote(request, reporter)
        else:
            from convoscope_cli.local import run_local

            outcome = run_local(request, reporter)
    except CliError as exc:
        if reporter is not None:
            reporter.close()
        print(exc.line(), file=sys.stderr, flush=True)
        if args.json:
            from convoscope_cli.summary import print_json

            print_json(exc.as_json())
        return exc.exit_code
    except KeyboardInterrupt:
        if reporter is not None:
            reporter.close()
        print("convoscope: interrupted", file=sys.stderr)
        return 130
    reporter.close()
    from convoscope_cli.summary import print_json, print_table, summarize

    data = summarize(outcome, mode="server" if request.server else "local", out_dir=str(args.out))
    if args.json:
        print_json(data)
    elif not args.quiet:
        print_table(data)
    return EXIT_OK
