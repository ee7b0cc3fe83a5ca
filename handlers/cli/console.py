"""The console chat: the same pipeline as Telegram, in a terminal (the default without a token)."""

from __future__ import annotations

from typing import Callable, TextIO

from handlers.core.pipeline import Assistant, Inbound, Pending, Reply
from handlers.core.render import numbered
from knowledge.normalize import in_script

GREETING = ("支部助手（控制台）已就绪。直接输入问题，例如“预备期从哪天算”；"
            "输入数字查看建议的条目，输入 exit 退出。")
EXIT_WORDS = {"exit", "quit", "q", "退出", "再见"}


class ConsoleChat:
    """Reads lines, answers them, and remembers numbered choices and pending situation checks."""

    def __init__(self, assistant: Assistant, write: Callable[[str], None], channel: str = "console"):
        self.assistant = assistant
        self.write = write
        self.channel = channel
        self.choices: list[str] = []
        self.pending: Pending | None = None

    def handle(self, line: str) -> Reply:
        text = line.strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(self.choices) and self.pending is None:
            reply = self.assistant.entry_reply(self.choices[int(text) - 1])
        else:
            reply = self.assistant.respond(Inbound(text, channel=self.channel), self.pending)
        self.pending = reply.pending
        offered = reply.suggestions or reply.related
        if offered:
            self.choices = [s.entry_id for s in offered]
        self.write(reply.text)
        if reply.related and not reply.suggestions:
            self.write(in_script("相关条目（输入数字查看）：\n", reply.script) + numbered([s.title for s in reply.related]))
        return reply

    def loop(self, stream: TextIO) -> int:
        self.write(GREETING)
        while True:
            self.write_prompt()
            line = stream.readline()
            if not line:
                return 0
            if line.strip().lower() in EXIT_WORDS:
                self.write("再见！")
                return 0
            self.handle(line)

    def write_prompt(self) -> None:
        pass


def run_console(assistant: Assistant, stream: TextIO, out: TextIO) -> int:
    def write(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    chat = ConsoleChat(assistant, write)
    if out.isatty() and stream.isatty():
        chat.write_prompt = lambda: (out.write("> "), out.flush())
    return chat.loop(stream)
