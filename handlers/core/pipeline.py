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

from handlers.core import render
from handlers.content.content import Content
from handlers.core.smalltalk import EMPTY_PROMPT, REPLIES, smalltalk_kind
from knowledge.judge import RANK_DEPTH
from knowledge.normalize import detect_script, fold, in_script, normalize_folded
import rules.extract as facts_from_text
from rules.focus import answers_another_focus, asked_focus, order_by_focus

log = logging.getLogger("zhibu.pipeline")

MAX_CHARS = 500  # longer messages are read up to here
MEMO_SIZE = 4096  # distinct recent questions whose replies are kept, per content version
SUGGEST_MIN = 0.08  # raw score below which an entry is not even suggested


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
    """A situation check waiting for more facts: the topic, the facts known so far, and the one fact asked
    for next with its prompt (one question at a time, so a bare answer like "20" has one place to go)."""

    topic: str
    facts: dict = field(default_factory=dict)
    asked: tuple[str, ...] = ()
    prompt: str = ""


@dataclass(frozen=True)
class Reply:
    """Everything a channel needs to answer, plus what the query log records."""

    kind: str  # answer | situation | ask | choose | clarify | decline | smalltalk | empty | invalid
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
            "question": question,
            "answer": self.text,
            "entry_id": self.entry_id,
            "score": round(self.score, 4),
            "fallback": self.fallback,
            "suggestions": [{"entry_id": s.entry_id, "title": s.title} for s in self.suggestions],
            "verdicts": list(self.verdicts),
            "script": self.script,
            "source": self.source,
            "latency_ms": round(self.latency_ms, 3),
        }


class Assistant:
    """Answers messages from the current Content; swap() publishes a new version atomically."""

    def __init__(self, content: Content, querylog=None, today=date.today, memo_size: int = MEMO_SIZE):
        self._content = content
        self.querylog = querylog
        self.today = today
        self.memo_size = memo_size  # 0: every question runs the whole pipeline (benchmarks of the pipeline)
        self._memo = (None, None)  # (content, its memoized _answer)
        self.on_swap = None  # callable(new content), e.g. to hand it to the other processes

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

    def entry_reply(
        self, entry_id: str, script: str = "simplified", inbound: Inbound | None = None, picked_from: str | None = None
    ) -> Reply | None:
        """The answer of one entry (a did-you-mean or related button, or a number typed for a suggestion).

        With `inbound` (what the user typed or pressed) the exchange is logged like any answer, so it is
        counted in /stats and its reply carries a query id for the 👍/👎 buttons; `picked_from` is the query
        whose offered entries it was picked from (a 「您问的是：A，还是 B？」 choice, a decline's related entries)."""
        started = time.perf_counter()
        content = self._content
        entry = content.kb.by_id.get(entry_id)
        if entry is None:
            return None
        reply = self._entry_reply(content, entry, 1.0, script, normalized="")
        if inbound is None:
            return reply
        latency_ms = (time.perf_counter() - started) * 1000
        query_id = self._log(content, inbound, reply, latency_ms, picked_from=picked_from)
        return replace(reply, latency_ms=latency_ms, query_id=query_id)

    def start_check(self, topic: str, script: str = "simplified") -> Reply:
        """Open the guided situation form for a topic: ask for the facts its policies need."""
        content = self._content
        labels = content.engine.vocab.topic_labels if content.engine is not None else {}
        if topic not in labels:
            return Reply("decline", in_script("没有这个检查项目。", script), script=script, fallback=True)
        pending = _next_question(topic, {}, content.engine.missing_facts(topic, {}))
        lines = [f"开始检查：{labels[topic]}。请逐项回答（直接回复，发送 /cancel 退出）：", f"· {pending.prompt}"]
        return Reply("ask", in_script("\n".join(lines), script), script=script, pending=pending)

    # -- steps ---------------------------------------------------------------------------------

    def _answer(self, content: Content, text: str, pending: Pending | None) -> Reply:
        """One message; with a pending check the form reads it first, and is kept unless it ends or the
        message opens another situation."""
        text = text[:MAX_CHARS]
        script = detect_script(text)
        folded = fold(text)  # once per message: the fact extractor reads this, the matcher its normalized form
        normalized = normalize_folded(folded) if text.strip() else ""
        if not normalized:
            if pending is not None:  # an emoji or a blank line: the question still stands
                return _reask(pending, script, understood=False)
            return Reply("empty", in_script(EMPTY_PROMPT, script), script=script, fallback=True)
        kind = smalltalk_kind(normalized)
        if kind:
            return Reply(
                "smalltalk", in_script(REPLIES[kind], script), script=script, normalized=normalized, pending=pending
            )
        situation = self._situation(content, folded, normalized, script, pending)
        opened = (
            situation is not None
            and situation.kind == "ask"
            and (pending is None or situation.pending.topic != pending.topic)
        )
        if opened and not _reports_figures(situation.pending.facts):
            # a new form that could only ask for figures: a general question naming a situation's words
            # (「退休党员组织关系要转社区吗」), not a situation to check; an entry that answers it comes first
            answer = self._lookup(content, normalized, script)
            if answer.kind == "answer":
                return answer
        if situation is not None:
            return situation
        answer = self._lookup(content, normalized, script)
        if pending is None:
            return answer
        if answer.kind == "answer":  # a knowledge question in passing: answer it, and the form goes on
            label = content.engine.vocab.topic_labels.get(pending.topic, "") if content.engine else ""
            note = in_script(f"\n\n（{label}检查仍在进行。{pending.prompt}）", script)
            return replace(answer, text=answer.text + note, related=(), pending=pending)
        return _reask(pending, script, understood=False, normalized=normalized)

    def _situation(
        self, content: Content, folded: str, normalized: str, script: str, pending: Pending | None
    ) -> Reply | None:
        if content.engine is None:
            return None
        vocab = content.engine.vocab
        extraction = facts_from_text.extract(folded, self.today(), vocab)
        topic, facts = extraction.topic, dict(extraction.facts)
        continued = bool(pending and topic in (None, pending.topic))
        answered = False
        if continued:
            filled = facts_from_text.fill_asked(pending.asked, folded, facts, today=self.today(), vocab=vocab)
            answered = any(name in filled or name in facts for name in pending.asked)  # 「7」 may confirm a figure
            facts = {**pending.facts, **facts, **filled}
            topic = pending.topic
        keep = pending if continued else None  # bad facts in a form's answer: the form stays open
        if extraction.problems:  # absurd or contradictory facts: say so, give no verdict
            body = "这些情况看起来不太对，请核对后再问：\n" + "\n".join(f"· {p}" for p in extraction.problems)
            return Reply(
                "invalid", in_script(body, script), script=script, fallback=True, normalized=normalized, pending=keep
            )
        if topic is None or (continued and facts == pending.facts and not answered):  # nothing in it for the form
            return None
        try:
            verdicts = content.engine.evaluate(topic, facts, self.today())
        except ValueError as exc:
            body = f"这些情况看起来不太对，请核对后再问：\n{exc}"
            return Reply(
                "invalid", in_script(body, script), script=script, fallback=True, normalized=normalized, pending=keep
            )
        rough = None if answered else facts_from_text.approximate_fact(folded, facts, extraction.written, vocab)
        if rough and not content.engine.same_verdicts(topic, facts, *rough, self.today()):
            # 「工资5000多」: 5000 is in the 1% band, a little more in the 1.5% one; ask for the exact amount
            nxt = Pending(topic, facts, (rough[0],), render.exact_figure_prompt(vocab.facts[rough[0]]))
            return Reply("ask", in_script(nxt.prompt, script), script=script, normalized=normalized, pending=nxt)
        verdicts, asked = order_by_focus(vocab, topic, folded, verdicts)
        focus = asked_focus(vocab, topic, folded) if verdicts and not asked else None
        if focus is not None and all(answers_another_focus(vocab, topic, v.rule_id, focus) for v in verdicts):
            # 「25个正式党员，要成立党总支吗」: the 总支 rule needs the total with probationary members; ask for it
            # rather than answer another question (whether a 支委会 is needed) with the figures given
            missing = content.engine.missing_facts(topic, facts, untried=True, policies=focus.policies)
            if missing:
                nxt = _next_question(topic, facts, missing)
                lines = [facts_from_text.echo(facts, vocab), "还需要了解（回复即可）：", f"· {nxt.prompt}"]
                return Reply(
                    "ask", in_script("\n".join(lines), script), script=script, normalized=normalized, pending=nxt
                )
        if not verdicts:
            missing = content.engine.missing_facts(topic, facts)
            if not missing and continued:  # evaluable policies gave nothing: ask what the others need
                missing = content.engine.missing_facts(topic, facts, untried=True)
            if not missing:
                if not continued:
                    return None
                lines = [facts_from_text.echo(facts, vocab), "根据这些情况，没有找到需要核对的规定。"]
                return Reply("situation", in_script("\n".join(lines), script), script=script, normalized=normalized)
            nxt = _next_question(topic, facts, missing)
            lines = [facts_from_text.echo(facts, vocab)] if facts else []
            lines += ["还需要了解（回复即可）：", f"· {nxt.prompt}"]
            return Reply("ask", in_script("\n".join(lines), script), script=script, normalized=normalized, pending=nxt)
        return self._verdict_reply(content, verdicts, facts, "" if continued else normalized, script, asked)

    def _verdict_reply(self, content, verdicts, facts, normalized, script, asked: int = 0) -> Reply:
        texts = [render.verdict_text(v) for v in verdicts]
        if 0 < asked < len(texts):  # the answer to the question asked, then the other findings
            texts.insert(asked, "其他情况：")
        lines = [facts_from_text.echo(facts, content.engine.vocab)] + texts
        related = ()
        # the procedure entry that answers the question, judged like any question (not for a bare follow-up):
        # a dues verdict for 工资8千 must not point at the students' dues entry only because it ranked first
        decision = content.matcher.decide(normalized) if normalized else None
        if decision is not None and decision.kind == "answer":
            top = decision.top
            related = (Suggestion(top.entry_id, in_script(top.title, script)),)
            lines.append(f"相关规定：{top.title}")
        dicts = tuple(json.loads(json.dumps(v.to_dict(), ensure_ascii=False, default=str)) for v in verdicts)
        entry_id = related[0].entry_id if related else None
        return Reply(
            "situation",
            in_script("\n".join(lines), script),
            script=script,
            score=1.0,
            entry_id=entry_id,
            verdicts=dicts,
            source=verdicts[0].source,
            related=related,
            normalized=normalized,
        )

    def _lookup(self, content: Content, normalized: str, script: str) -> Reply:
        hint = content.kb.scope.outside_hint(normalized)
        ranked = content.matcher.rank(normalized, limit=RANK_DEPTH)  # as many as the judge looks at
        if hint:
            text = render.decline_text([], hint)
            score = ranked[0].confidence if ranked else 0.0
            return Reply(
                "decline", in_script(text, script), script=script, score=score, fallback=True, normalized=normalized
            )
        return self._judged(content, normalized, script, ranked)

    def _judged(self, content: Content, normalized: str, script: str, ranked) -> Reply:
        """The matcher's decision (knowledge/judge.py): answer, or choose between two close entries, or ask
        for more detail, or decline. A `choose` or `clarify` reply carries its options as `suggestions`,
        which every channel shows as numbered buttons."""
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
            present = {e.category for e in content.kb.entries}
            text = render.clarify_text(titles, [c for c in content.kb.categories.names if c in present])
        else:
            text = render.not_in_kb_text(titles)
        score = ranked[0].confidence if ranked else 0.0
        return Reply(
            decision.kind,
            in_script(text, script),
            script=script,
            score=score,
            fallback=True,
            suggestions=suggestions,
            normalized=normalized,
        )

    def _entry_reply(self, content, entry, score, script, normalized) -> Reply:
        related = tuple(
            Suggestion(r, in_script(content.kb.by_id[r].title, script)) for r in entry.related if r in content.kb.by_id
        )
        return Reply(
            "answer",
            in_script(render.entry_text(entry), script),
            script=script,
            entry_id=entry.id,
            score=score,
            related=related,
            source=entry.source,
            normalized=normalized,
        )

    def _log(
        self, content: Content, inbound: Inbound, reply: Reply, latency_ms: float, picked_from: str | None = None
    ) -> str | None:
        if self.querylog is None:
            return None
        try:
            return self.querylog.log(
                channel=inbound.channel,
                chat_id=inbound.chat_id,
                chat_type=inbound.chat_type,
                user_id=inbound.user_id,
                text=inbound.text[:4000],
                normalized=reply.normalized,
                script=reply.script,
                entry_id=reply.entry_id,
                score=reply.score,
                fallback=reply.fallback,
                verdicts=list(reply.verdicts),
                latency_ms=latency_ms,
                kb_version=content.version,
                kind=reply.kind,
                picked_from=picked_from,
            )
        except Exception:  # the log must never stop an answer
            log.exception("query log failed")
            return None


def _reports_figures(facts: dict) -> bool:
    """Whether a message's facts hold a number or a date (a reported situation), not only yes/no or a choice."""
    return any(isinstance(v, (int, float, date)) and not isinstance(v, bool) for v in facts.values())


def _next_question(topic: str, facts: dict, missing: list[tuple[str, str]]) -> Pending:
    """The form's next step: the first missing fact and its prompt."""
    name, prompt = missing[0] if missing else ("", "")
    return Pending(topic, facts, (name,) if name else (), prompt)


def _reask(pending: Pending, script: str, understood: bool, normalized: str = "") -> Reply:
    """The form's question again, after a message that did not answer it."""
    lead = "" if understood else "没能从这条消息里读出需要的情况。"
    text = f"{lead}请回答：{pending.prompt}\n（发送 /cancel 退出检查）"
    return Reply("ask", in_script(text, script), script=script, fallback=True, normalized=normalized, pending=pending)
