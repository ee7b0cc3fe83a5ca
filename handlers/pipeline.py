"""The Telegram-free entry point: respond(Inbound) -> Reply.

normalize once → small talk → situation check (extract facts, evaluate policies) → knowledge lookup →
render in the asker's script → log. The console, the CLI and Telegram all call Assistant.respond().
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from dataclasses import dataclass, field, replace
from datetime import date

from handlers import render
from handlers.content import Content
from handlers.smalltalk import EMPTY_PROMPT, REPLIES, smalltalk_kind
from knowledge.normalize import detect_script, fold, in_script, normalize_text
import rules.extract as facts_from_text
from rules.vocabulary import TOPIC_LABELS

log = logging.getLogger("zhibu.pipeline")

MAX_CHARS = 500          # longer messages are read up to here
MEMO_SIZE = 4096         # distinct recent questions whose replies are kept, per content version
SUGGEST_MIN = 0.08       # raw score below which an entry is not even suggested


@dataclass(frozen=True)
class Inbound:
    """One message from any channel."""

    text: str
    channel: str = "cli"
    chat_id: int | None = None
    chat_type: str = "private"
    user_id: int | None = None


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    title: str


@dataclass(frozen=True)
class Pending:
    """A situation check waiting for more facts: the topic and the facts known so far."""

    topic: str
    facts: dict = field(default_factory=dict)
    asked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """Everything a channel needs to answer, plus what the query log records."""

    kind: str                      # answer | situation | ask | choose | clarify | decline | smalltalk | empty | invalid
    text: str
    script: str = "simplified"
    entry_id: str | None = None
    score: float = 0.0
    fallback: bool = False
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[Suggestion, ...] = ()
    verdicts: tuple[dict, ...] = ()
    source: str | None = None
    pending: Pending | None = None
    normalized: str = ""
    latency_ms: float = 0.0
    query_id: str | None = None

    def to_json(self, question: str) -> dict:
        """The CLI contract of `bot.py ask --json`."""
        return {
            "question": question, "answer": self.text, "entry_id": self.entry_id,
            "score": round(self.score, 4), "fallback": self.fallback,
            "suggestions": [{"entry_id": s.entry_id, "title": s.title} for s in self.suggestions],
            "verdicts": list(self.verdicts), "script": self.script, "source": self.source,
            "latency_ms": round(self.latency_ms, 3),
        }


class Assistant:
    """Answers messages from the current Content; swap() publishes a new version atomically."""

    def __init__(self, content: Content, querylog=None, today=date.today, memo_size: int = MEMO_SIZE):
        self._content = content
        self.querylog = querylog
        self.today = today
        self.memo_size = memo_size   # 0: every question runs the whole pipeline (benchmarks of the pipeline)
        self._memo = (None, None)    # (content, its memoized _answer)
        self.on_swap = None          # callable(new content), e.g. to hand it to the other processes

    @property
    def content(self) -> Content:
        return self._content

    def swap(self, content: Content) -> Content:
        old, self._content = self._content, content
        if self.on_swap is not None:
            try:
                self.on_swap(content)
            except Exception:  # noqa: BLE001  (the swap has happened: a listener's failure must not undo it)
                log.exception("passing the new content on failed")
        return old

    def respond(self, inbound: Inbound, pending: Pending | None = None) -> Reply:
        started = time.perf_counter()
        content = self._content  # one version for the whole message
        text = (inbound.text or "")[:MAX_CHARS]
        if pending is None and self.memo_size:
            reply = self._memoized(content)(text, self.today())
        else:  # a follow-up depends on the chat's earlier facts: never shared
            reply = self._answer(content, text, pending)
        latency_ms = (time.perf_counter() - started) * 1000
        return replace(reply, latency_ms=latency_ms, query_id=self._log(content, inbound, reply, latency_ms))

    def _memoized(self, content: Content):
        """_answer for a fresh question is a pure function of (content, text, today): the same question asked
        again, by anyone, gets the same Reply without re-running the matcher and the rules engine. The memo
        belongs to one content version, so a reload starts an empty one (lru_cache is thread-safe)."""
        owner, answer = self._memo
        if owner is not content:
            answer = lru_cache(maxsize=self.memo_size)(lambda text, _today: self._answer(content, text, None))
            self._memo = (content, answer)
        return answer

    def entry_reply(self, entry_id: str, script: str = "simplified") -> Reply | None:
        """The answer of one entry (a did-you-mean or related button, or a number typed in the console)."""
        content = self._content
        entry = content.kb.by_id.get(entry_id)
        if entry is None:
            return None
        return self._entry_reply(content, entry, 1.0, script, normalized="")

    def start_check(self, topic: str, script: str = "simplified") -> Reply:
        """Open the guided situation form for a topic: ask for the facts its policies need."""
        content = self._content
        if content.engine is None or topic not in TOPIC_LABELS:
            return Reply("decline", in_script("没有这个检查项目。", script), script=script, fallback=True)
        missing = content.engine.missing_facts(topic, {})
        lines = [f"开始检查：{TOPIC_LABELS[topic]}。请回答下面的问题（直接回复，发送 /cancel 退出）："]
        lines += [f"· {prompt}" for _, prompt in missing]
        return Reply("ask", in_script("\n".join(lines), script), script=script,
                     pending=Pending(topic, {}, tuple(name for name, _ in missing)))

    # -- steps ---------------------------------------------------------------------------------

    def _answer(self, content: Content, text: str, pending: Pending | None) -> Reply:
        if not text.strip():
            return Reply("empty", EMPTY_PROMPT, fallback=True)
        text = text[:MAX_CHARS]
        script = detect_script(text)
        normalized = normalize_text(text)
        if not normalized:
            return Reply("empty", in_script(EMPTY_PROMPT, script), script=script, fallback=True)
        kind = smalltalk_kind(normalized)
        if kind:
            return Reply("smalltalk", in_script(REPLIES[kind], script), script=script, normalized=normalized)
        situation = self._situation(content, text, normalized, script, pending)
        if situation is not None:
            return situation
        return self._lookup(content, normalized, script)

    def _situation(self, content: Content, text: str, normalized: str, script: str,
                   pending: Pending | None) -> Reply | None:
        if content.engine is None:
            return None
        extraction = facts_from_text.extract(fold(text), self.today())
        topic, facts = extraction.topic, dict(extraction.facts)
        continued = bool(pending and topic in (None, pending.topic))
        if continued:
            facts = {**pending.facts, **facts, **facts_from_text.fill_asked(pending.asked, fold(text), facts, today=self.today())}
            topic = pending.topic
        if extraction.problems:  # absurd or contradictory facts: say so, give no verdict
            body = "这些情况看起来不太对，请核对后再问：\n" + "\n".join(f"· {p}" for p in extraction.problems)
            return Reply("invalid", in_script(body, script), script=script, fallback=True, normalized=normalized)
        if topic is None:
            return None
        try:
            verdicts = content.engine.evaluate(topic, facts, self.today())
        except ValueError as exc:
            body = f"这些情况看起来不太对，请核对后再问：\n{exc}"
            return Reply("invalid", in_script(body, script), script=script, fallback=True, normalized=normalized)
        if not verdicts:
            missing = content.engine.missing_facts(topic, facts)
            if not missing:
                return None
            lines = [facts_from_text.echo(facts)] if facts else []
            lines += ["还需要了解以下情况（回复即可）："] + [f"· {prompt}" for _, prompt in missing]
            return Reply("ask", in_script("\n".join(lines), script), script=script, normalized=normalized,
                         pending=Pending(topic, facts, tuple(name for name, _ in missing)))
        return self._verdict_reply(content, verdicts, facts, "" if continued else normalized, script)

    def _verdict_reply(self, content, verdicts, facts, normalized, script) -> Reply:
        lines = [facts_from_text.echo(facts)] + [render.verdict_text(v) for v in verdicts]
        related = ()
        ranked = content.matcher.rank(normalized, limit=1) if normalized else []  # not for a bare follow-up
        if ranked and ranked[0].accepted:
            related = (Suggestion(ranked[0].entry_id, in_script(ranked[0].title, script)),)
            lines.append(f"相关规定：{ranked[0].title}")
        dicts = tuple(json.loads(json.dumps(v.to_dict(), ensure_ascii=False, default=str)) for v in verdicts)
        entry_id = related[0].entry_id if related else None
        return Reply("situation", in_script("\n".join(lines), script), script=script, score=1.0, entry_id=entry_id,
                     verdicts=dicts, source=verdicts[0].source, related=related, normalized=normalized)

    def _lookup(self, content: Content, normalized: str, script: str) -> Reply:
        hint = content.kb.scope.outside_hint(normalized)
        ranked = content.matcher.rank(normalized, limit=4)
        if hint:
            text = render.decline_text([], hint)
            score = ranked[0].confidence if ranked else 0.0
            return Reply("decline", in_script(text, script), script=script, score=score, fallback=True,
                         normalized=normalized)
        return self._judged(content, normalized, script, ranked)

    # -- issue 14: the matcher's decision (answer / choose / clarify / decline) ----------------------
    # Kept in one place so the conversation-core rewrite can move it as a whole. A `choose` or `clarify`
    # reply carries its options as `suggestions`, which every channel already shows as numbered buttons.

    def _judged(self, content: Content, normalized: str, script: str, ranked) -> Reply:
        decision = content.matcher.decide(normalized, ranked)
        top = decision.top
        if decision.kind == "answer":
            return self._entry_reply(content, content.kb.by_id[top.entry_id], top.confidence, script, normalized)
        options = decision.matches if decision.kind == "choose" else decision.related
        suggestions = tuple(Suggestion(m.entry_id, in_script(m.title, script)) for m in options)
        titles = [m.title for m in options]
        if decision.kind == "choose":
            text = render.choose_text(titles)
        elif decision.kind == "clarify":
            text = render.clarify_text(titles, content.kb.categories() if hasattr(content.kb, "categories")
                                       else sorted({e.category for e in content.kb.entries}))
        else:
            text = render.not_in_kb_text(titles)
        score = ranked[0].confidence if ranked else 0.0
        return Reply(decision.kind, in_script(text, script), script=script, score=score, fallback=True,
                     suggestions=suggestions, normalized=normalized)

    def _entry_reply(self, content, entry, score, script, normalized) -> Reply:
        related = tuple(Suggestion(r, in_script(content.kb.by_id[r].title, script))
                        for r in entry.related if r in content.kb.by_id)
        return Reply("answer", in_script(render.entry_text(entry), script), script=script, entry_id=entry.id,
                     score=score, related=related, source=entry.source, normalized=normalized)

    def _log(self, content: Content, inbound: Inbound, reply: Reply, latency_ms: float) -> str | None:
        if self.querylog is None:
            return None
        try:
            return self.querylog.log(
                channel=inbound.channel, chat_id=inbound.chat_id, chat_type=inbound.chat_type,
                user_id=inbound.user_id, text=inbound.text[:4000], normalized=reply.normalized,
                script=reply.script, entry_id=reply.entry_id, score=reply.score, fallback=reply.fallback,
                verdicts=list(reply.verdicts), latency_ms=latency_ms, kb_version=content.version)
        except Exception:  # the log must never stop an answer
            log.exception("query log failed")
            return None
