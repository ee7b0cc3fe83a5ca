"""Which topic a situation is about, from the routing phrases and the facts found (both from the vocabulary).

Conservative: a topic is only given when the text holds a situation fact that the topic owns (facts
marked `context` alone make no situation), and either a routing phrase of that topic is present or
the topic owns at least two of the facts. Procedural questions without facts ('入党要几个介绍人')
get no topic. Recruitment topics carry a `stage`: facts of a later stage mean the person is there.
"""

from __future__ import annotations

from rules.vocab import Vocabulary


def infer_topic(vocab: Vocabulary, text: str, facts: dict[str, object]) -> str | None:
    situation = {name for name in facts if name in vocab.facts and not vocab.facts[name].context}
    if not situation:
        return None
    order = list(vocab.topics)
    scores = {}
    for name, topic in vocab.topics.items():
        owned = len(situation & set(topic.facts))
        hits = len(topic.phrases.findall(text)) + (2 * len(topic.strong.findall(text)) if topic.strong else 0)
        if owned and (hits or owned >= 2):
            scores[name] = (hits, owned, -order.index(name))
    if not scores:
        return None
    chosen = max(scores, key=scores.__getitem__)
    if vocab.topics[chosen].stage:
        chosen = _latest_stage(vocab, situation) or chosen
    return chosen


def _latest_stage(vocab: Vocabulary, situation: set[str]) -> str | None:
    """The latest recruitment stage that owns one of the facts."""
    staged = sorted((t.stage, t.name) for t in vocab.topics.values() if t.stage and situation & set(t.facts))
    return staged[-1][1] if staged else None
