"""Answer the question asked: put the verdicts of the asked focus first.

A topic's `focus` (rules/vocabulary/topics.yaml) maps what a question asks — can we set up a 支委会,
was he elected, when does the term end — to the policies that answer it. The first focus whose phrases
are in the message and whose policies gave a verdict makes those verdicts the headline; the others follow
as further findings, in their own order, except those that answer another focus (another question).
"""

from __future__ import annotations

from rules.policy import Verdict
from rules.vocab import Focus, Vocabulary


def order_by_focus(vocab: Vocabulary, topic: str, text: str, verdicts: list[Verdict]) -> tuple[list[Verdict], int]:
    """(verdicts with the asked ones first, how many of them answer the question; 0 = no focus found)."""
    spec = vocab.topics.get(topic)
    for focus in spec.focus if spec else ():
        if focus.phrases.search(text):
            asked = [v for v in verdicts if v.rule_id in focus.policies]
            if asked:
                # the other findings follow, except the answers to other questions (a 支委会 question gets no
                # 总支 verdict; general findings such as 可以成立党支部 stay)
                rest = [v for v in verdicts if not answers_another_focus(vocab, topic, v.rule_id, focus)]
                return asked + [v for v in rest if v.rule_id not in focus.policies], len(asked)
    return list(verdicts), 0


def asked_focus(vocab: Vocabulary, topic: str, text: str) -> Focus | None:
    """The first focus of the topic whose phrases are in the message (what it asks), verdicts or not."""
    spec = vocab.topics.get(topic)
    return next((focus for focus in (spec.focus if spec else ()) if focus.phrases.search(text)), None)


def answers_another_focus(vocab: Vocabulary, topic: str, rule_id: str, focus: Focus) -> bool:
    """Whether a verdict answers another question of the topic than `focus` (a 支委会 verdict when the 总支 was
    asked), rather than being a general finding (候选人差额 when a 换届 question asks it)."""
    spec = vocab.topics.get(topic)
    return any(rule_id in other.policies for other in (spec.focus if spec else ()) if other is not focus) and (
        rule_id not in focus.policies
    )
