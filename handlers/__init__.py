"""The conversation layer: the Telegram-free pipeline, the console chat and the Telegram adapters."""
