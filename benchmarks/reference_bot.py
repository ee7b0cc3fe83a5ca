"""The simplest stock python-telegram-bot FAQ bot: the reference zhibu-bot's throughput is compared with.

Exact-match dict lookup, PTB's default transport and settings, no rate limiter, no storage. Reads the same
TELEGRAM_BOT_TOKEN and ZHIBU_API_BASE_URL / ZHIBU_API_BASE_FILE_URL the bot does (benchmarks/bench_telegram.py
points them at the stand-in). `python benchmarks/reference_bot.py ask TEXT` answers one question and exits:
the stock equivalent of `python bot.py ask TEXT` for the cold-start benchmark.
"""

import os
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

FAQ = {
    "预备期多长": "预备期为一年，从支部大会通过其为预备党员之日算起。",
    "入党要几个介绍人": "要有两名正式党员作入党介绍人。",
    "入党年龄": "年满十八岁。",
}
FALLBACK = "抱歉，这个问题我不会回答。"


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(FAQ.get(update.message.text, FALLBACK))


def main() -> None:
    if sys.argv[1:2] == ["ask"]:
        print(FAQ.get(" ".join(sys.argv[2:]), FALLBACK))
        return
    builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
    if os.environ.get("ZHIBU_API_BASE_URL"):
        builder = builder.base_url(os.environ["ZHIBU_API_BASE_URL"])
        builder = builder.base_file_url(os.environ["ZHIBU_API_BASE_FILE_URL"])
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    app.run_polling()


if __name__ == "__main__":
    main()
