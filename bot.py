#!/usr/bin/env python3
"""zhibu-bot (支部助手): command line entry point and wiring.

python bot.py [run] [--webhook URL --port N]   Telegram bot with TELEGRAM_BOT_TOKEN, else the console chat
python bot.py chat                  console chat
python bot.py ask [--json] [--batch FILE] [--no-log] TEXT
python bot.py evaluate [--json] topic=NAME FACT=VALUE ...
python bot.py check [DIR]           validate all YAML, run the self-test and golden cases
python bot.py stats [--days N] [--json] | gaps [--days N]
python bot.py export --since DATE --format csv|jsonl | purge --older-than DAYS
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from handlers.content.content import load_content  # noqa: E402
from handlers.core.conversation import Conversation  # noqa: E402
from handlers.core.pipeline import Assistant, Inbound  # noqa: E402
from handlers.runtime import freeze_heap, open_querylog, setup_logging  # noqa: E402
from common.settings import content_root, env, env_flag  # noqa: E402

# The folder holding knowledge/ and rules/ (admins' uploads and rollbacks write there).
CONTENT_ROOT = content_root()

log = logging.getLogger("zhibu")


def load_or_exit(root: Path = CONTENT_ROOT, run_cases: bool = True):
    """The content, or exit with its problems. `run_cases=False` (one-off commands): skip the policies'
    golden cases, which `bot.py check` and every start of the bot run."""
    content, problems = load_content(root, run_cases=run_cases, cache=True)
    if content is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        raise SystemExit("the knowledge base or the policies are invalid: run `python bot.py check`")
    return content


def build_assistant(root: Path = CONTENT_ROOT, log_queries: bool = False) -> Assistant:
    querylog = open_querylog(retention=False) if log_queries else None  # `bot.py run` and `purge` apply it
    if querylog is not None:
        atexit.register(querylog.close)  # flush queued rows on a clean shutdown
    return Assistant(load_or_exit(root, run_cases=False), querylog)


def _print_json(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def cmd_ask(args) -> int:
    assistant = build_assistant(log_queries=not args.no_log)
    if args.batch:
        return ask_batch(assistant, args.batch)
    question = " ".join(args.text)
    reply, _ = Conversation(assistant).respond(Inbound(question, channel="cli"))
    if args.json:
        _print_json(reply.to_json(question))
    else:
        print(reply.text)
    return 0


def ask_batch(assistant: Assistant, path: str) -> int:
    """One question per line in, one JSON object per line out, same order; bad lines get a fallback object."""
    conversation = Conversation(assistant)
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    with stream:
        for number, raw in enumerate(stream, 1):
            raw = raw.rstrip(b"\r\n")
            try:
                question = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                _print_json(
                    {
                        "question": None,
                        "answer": f"第{number}行不是有效的 UTF-8 文本，已跳过。",
                        "entry_id": None,
                        "score": 0.0,
                        "fallback": True,
                        "suggestions": [],
                        "verdicts": [],
                        "script": "simplified",
                        "source": None,
                        "latency_ms": 0.0,
                        "error": f"line {number}: invalid UTF-8 at byte {exc.start}",
                    }
                )
                continue
            reply, _ = conversation.respond(Inbound(question, channel="cli"))  # each line on its own
            _print_json(reply.to_json(question))
    return 0


def cmd_chat(args) -> int:
    from handlers.cli.console import run_console

    return run_console(build_assistant(log_queries=not getattr(args, "no_log", False)), sys.stdin, sys.stdout)


def cmd_run(args) -> int:
    from common.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not settings.token:
        return cmd_chat(args)
    return run_telegram(settings, args)


def run_telegram(settings, args) -> int:
    """Long polling by default; --webhook URL --port N uses PTB's built-in webhook server."""
    from telegram import Update

    from handlers.cli import admin as admin_cli
    from handlers.telegram.app import Services, build_application
    import storage

    querylog = open_querylog()
    assistant = Assistant(load_or_exit(), querylog)

    def stats_text() -> str:
        return admin_cli.stats_report(storage.open_db(storage.default_db_path()), assistant.content, 30)[1]

    from handlers.telegram.reminders import ReminderService
    from reminders.planner import grace_from_hours

    try:
        grace = grace_from_hours(env("ZHIBU_REMINDER_GRACE_HOURS"))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A short busy timeout: these writes run on the event loop, which must not stall for 5 s on a lock.
    reminders = ReminderService(
        storage.open_db(storage.default_db_path(), busy_timeout_ms=500), assistant, settings, grace
    )

    from handlers.content.admin import ContentAdmin

    db = storage.open_db(storage.default_db_path())
    admin = ContentAdmin(CONTENT_ROOT, assistant, db)
    watch = env_flag("ZHIBU_WATCH")
    webhook = getattr(args, "webhook", None)
    app = build_application(Services(assistant, settings, querylog, stats_text, reminders, admin, watch))
    from telegram.error import InvalidToken

    freeze_heap()
    try:
        if webhook:
            app.run_webhook(listen="0.0.0.0", port=args.port, webhook_url=webhook, allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        # One line, and never the token itself (a traceback would show it in the request URL).
        print(
            "error: Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped); get a new one from @BotFather",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_check(args) -> int:
    from handlers.content.checks import run_check

    root = Path(args.dir).resolve() if args.dir else CONTENT_ROOT
    ok, lines = run_check(root)
    for line in lines:
        print(line)
    return 0 if ok else 1


def cmd_evaluate(args) -> int:
    import rules.extract as facts_from_text

    assistant = build_assistant(log_queries=False)
    pairs = dict(item.split("=", 1) for item in args.facts if "=" in item)
    bad = [item for item in args.facts if "=" not in item]
    topic = pairs.pop("topic", None)
    engine = assistant.content.engine
    if bad or not topic:
        print(
            "usage: python bot.py evaluate topic=NAME FACT=VALUE ... (missing topic= or a FACT=VALUE pair)",
            file=sys.stderr,
        )
        return 2
    facts, problems = facts_from_text.parse_facts(pairs)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    try:
        verdicts = engine.evaluate(topic, facts, date.today())
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    missing = engine.missing_facts(topic, facts) if not verdicts else []
    if args.json:
        _print_json(
            {
                "topic": topic,
                "facts": facts,
                "verdicts": [v.to_dict() for v in verdicts],
                "missing": [{"fact": f, "prompt": p} for f, p in missing],
            }
        )
    else:
        from handlers.core.render import verdict_text

        print(facts_from_text.echo(facts))
        for v in verdicts:
            print(verdict_text(v))
        for _, prompt in missing:
            print(f"还需要：{prompt}")
        if not verdicts and not missing:
            print("没有适用的规定（no verdict）。")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bot.py", description="zhibu-bot 支部助手")
    sub = p.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the Telegram bot (console chat without a token)")
    run.add_argument("--webhook", metavar="URL", help="use a webhook at this public URL instead of long polling")
    run.add_argument("--port", type=int, default=8443, help="port for the webhook server (default 8443)")
    run.set_defaults(func=cmd_run)
    chat = sub.add_parser("chat", help="console chat")
    chat.add_argument("--no-log", action="store_true", help="do not write the query log")
    chat.set_defaults(func=cmd_chat)
    ask = sub.add_parser("ask", help="answer one question (or a batch)")
    ask.add_argument("--json", action="store_true", help="print the JSON contract instead of the text")
    ask.add_argument("--batch", metavar="FILE", help="one question per line ('-' for stdin); JSON lines out")
    ask.add_argument("--no-log", action="store_true", help="do not write the query log")
    ask.add_argument("text", nargs="*")
    ask.set_defaults(func=cmd_ask)
    check = sub.add_parser("check", help="validate all YAML, run the self-test and golden cases")
    check.add_argument("dir", nargs="?", help="project folder holding knowledge/ and rules/ (default: this one)")
    check.set_defaults(func=cmd_check)
    evaluate = sub.add_parser("evaluate", help="evaluate structured facts: topic=NAME FACT=VALUE ...")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("facts", nargs="+")
    evaluate.set_defaults(func=cmd_evaluate)
    from handlers.cli import admin as admin_cli

    admin_cli.add_commands(sub, lambda fn: lambda args: fn(args, load_content(CONTENT_ROOT)[0]))
    return p


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    args = parser().parse_args(argv)
    if args.command is None:
        args = parser().parse_args(["run", *(argv or [])])
    if args.command == "ask" and not args.batch and not args.text:
        print("usage: python bot.py ask [--json] TEXT  (or --batch FILE)", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `python bot.py export … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
