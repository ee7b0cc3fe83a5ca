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
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(obj) if f.name not in ("file", "line"))
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
    """The policies of a Content (through its engine) or of a build_worker.Built."""
    if hasattr(version, "engine"):
        return version.engine.policies.policies if version.engine else ()
    return version.policies.policies if version.policies else ()


def diff_contents(old, new) -> list[str]:
    """Entries, policies and reminders added, changed or removed (ignoring moved line numbers).

    `old` and `new` are Contents or build_worker.Built results: anything with kb and reminders, and an
    engine or policies."""
    lines = _compare({e.id: e for e in old.kb.entries}, {e.id: e for e in new.kb.entries}, "条目")
    old_pol, new_pol = ({p.id: p for p in _policies(v)} for v in (old, new))
    lines += _compare(old_pol, new_pol, "政策", key=lambda p: _strip(p, drop=("cases",)))
    old_rem = {r.id: r for r in getattr(old.reminders, "reminders", ())} if old.reminders else {}
    new_rem = {r.id: r for r in getattr(new.reminders, "reminders", ())} if new.reminders else {}
    lines += _compare(old_rem, new_rem, "提醒")
    return lines or ["内容没有变化"]
