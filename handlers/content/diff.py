"""What changed between two content versions, in the words of the /reload and publish replies."""

from __future__ import annotations

import dataclasses


_FIELDS: dict[type, tuple[str, ...]] = {}


def _strip(obj, drop: tuple[str, ...] = ()):
    """The object's field values without its source location (and `drop`), so a moved line does not count
    as a change. A tuple of attributes: at 10,000 entries, dataclasses.replace() for each was 0.1 s."""
    if not dataclasses.is_dataclass(obj):
        return obj
    kind = type(obj)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            f.name for f in dataclasses.fields(obj) if f.name not in ("file", "line") and f.compare
        )
    return tuple(getattr(obj, name) for name in names if name not in drop)


def _compare(old: dict, new: dict, label: str, key=_strip) -> list[str]:
    """Lines naming the ids added, changed (per `key`, which leaves the source location out) and removed.
    An unchanged file's entries are the very same objects in both versions (knowledge/load.py's file memo),
    so identity settles most of them without building keys."""
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(k for k in set(old) & set(new) if old[k] is not new[k] and key(old[k]) != key(new[k]))
    lines = []
    for verb, ids in (("新增", added), ("修改", changed), ("删除", removed)):
        if ids:
            shown = "、".join(ids[:10]) + (f" 等{len(ids)}个" if len(ids) > 10 else "")
            lines.append(f"{label}{verb} {len(ids)}：{shown}")
    return lines


def _policies(version) -> tuple:
    """The policies of a Content (through its engine)."""
    return version.engine.policies.policies if version.engine else ()


def diff_contents(old, new) -> list[str]:
    """Entries, policies and reminders added, changed or removed (ignoring moved line numbers).

    `old` and `new` are Contents."""
    lines = _compare({e.id: e for e in old.kb.entries}, {e.id: e for e in new.kb.entries}, "条目")
    old_pol, new_pol = ({p.id: p for p in _policies(v)} for v in (old, new))
    lines += _compare(old_pol, new_pol, "政策", key=lambda p: _strip(p, drop=("cases",)))
    old_rem = {r.id: r for r in getattr(old.reminders, "reminders", ())} if old.reminders else {}
    new_rem = {r.id: r for r in getattr(new.reminders, "reminders", ())} if new.reminders else {}
    lines += _compare(old_rem, new_rem, "提醒")
    # Synonym groups by their canonical (first) term: emptying synonyms.yaml changes how every question is
    # matched, so it must never read as "no change".
    lines += _compare(
        {g[0]: g for g in old.kb.synonyms}, {g[0]: g for g in new.kb.synonyms}, "同义词组", key=lambda group: group
    )
    if old.kb.scope != new.kb.scope:
        lines.append("范围外问题（scope.yaml）已修改")
    lines += _holiday_lines(getattr(old.reminders, "holidays", None), getattr(new.reminders, "holidays", None))
    return lines or ["内容没有变化"]


def _holiday_lines(old, new) -> list[str]:
    """Years of holiday data (knowledge/holidays.yaml) added, changed or removed."""
    old_years = dict(old.years) if old is not None else {}
    new_years = dict(new.years) if new is not None else {}
    return _compare({str(y): v for y, v in old_years.items()}, {str(y): v for y, v in new_years.items()}, "节假日年份")
