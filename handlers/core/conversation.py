"""The conversation core: respond(inbound, state) -> (reply, state), the same for Telegram, the console and the CLI.

A State is what one conversation (one user in one chat) remembers between messages: a guided check waiting
for an answer, and the entries the last reply offered by number. Adapters keep one State per (chat, user)
and never look inside it; the rules about what a message means given that state live here only:

- a pending check reads every message first: a bare "2", 是/否 or a choice answers its question (never a
  numbered suggestion), a knowledge question is answered in passing and the check goes on, a message that
  says nothing the check can use asks its question again;
- with no check pending, a number that matches an offered entry opens it.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.pipeline import Assistant, Inbound, Pending, Reply


@dataclass(frozen=True)
class State:
    """One conversation's memory; opaque to adapters."""

    pending: Pending | None = None
    offered: tuple[str, ...] = ()  # entry ids of the last reply's numbered suggestions or related entries
    offered_by: str | None = None  # the query id of that reply (a pick is logged as picked from it)

    @property
    def in_check(self) -> bool:
        return self.pending is not None


NEW = State()


def _after(reply: Reply) -> State:
    if reply.pending is not None:
        return State(pending=reply.pending)
    return State(offered=tuple(s.entry_id for s in (reply.suggestions or reply.related)), offered_by=reply.query_id)


def _number(text: str, offered: tuple[str, ...]) -> int | None:
    """The 1-based choice a message like "2" names among the offered entries, else None."""
    text = text.strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= len(offered):
        return int(text)
    return None


class Conversation:
    """The conversation rules over an Assistant (which answers one message from the live content)."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def respond(self, inbound: Inbound, state: State | None = None) -> tuple[Reply, State]:
        state = state or NEW
        if state.pending is None:
            choice = _number(inbound.text, state.offered)
            if choice is not None:
                reply = self.assistant.entry_reply(
                    state.offered[choice - 1], inbound=inbound, picked_from=state.offered_by
                )  # logged, with the offer it answers
                if reply is not None:
                    return reply, _after(reply)
        reply = self.assistant.respond(inbound, state.pending)
        return reply, _after(reply)

    def open_entry(
        self, entry_id: str, state: State | None = None, inbound: Inbound | None = None
    ) -> tuple[Reply | None, State]:
        """A did-you-mean or related button: the entry's answer (None if it no longer exists). A check in
        progress stays open. With `inbound` (who pressed it, where) the answer is logged like any other."""
        state = state or NEW
        picked_from = state.offered_by if entry_id in state.offered else None
        reply = self.assistant.entry_reply(entry_id, inbound=inbound, picked_from=picked_from)
        if reply is None or state.pending is not None:
            return reply, state
        return reply, _after(reply)

    def start_check(self, topic: str, state: State | None = None) -> tuple[Reply, State]:
        """/check and a topic button: the guided form for that topic (replacing any check in progress)."""
        reply = self.assistant.start_check(topic)
        return reply, _after(reply) if reply.pending is not None else (state or NEW)

    @staticmethod
    def cancel(state: State | None = None) -> State:
        return NEW
