"""Problems: values out of range and facts that contradict each other.

A fact out of its vocabulary range is dropped and reported; contradictions are reported and the
facts kept (the caller gives no verdict while there are problems).
"""

from __future__ import annotations

from rules.extract_common import Scan
from rules.vocabulary import FACTS


def show_number(value: float) -> str:
    """4500.0 -> '4500', 1.5 -> '1.5', 1000000000 -> '1000000000'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def range_problem(name: str, value: object) -> str | None:
    """Why a numeric value does not fit its fact, or None when it fits."""
    fact = FACTS[name]
    if fact.type not in ("int", "float") or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    shown, unit = show_number(value), fact.unit
    if fact.type == "int" and not float(value).is_integer():
        return f"{fact.label}应为整数（{shown}），请核对。"
    if fact.minimum is not None and value < fact.minimum:
        return f"{fact.label}不能是负数（{shown}），请核对。"
    if fact.maximum is not None and value > fact.maximum:
        return (f"{fact.label} {shown} {unit}超出合理范围（最多 {show_number(fact.maximum)} {unit}），"
                f"请核对。").replace(" ）", "）").replace(" ，", "，")
    return None


def check_ranges(scan: Scan) -> None:
    for name in list(scan.facts):
        message = range_problem(name, scan.facts[name])
        if message:
            scan.problem(message)
            del scan.facts[name]
        elif FACTS[name].type == "int" and isinstance(scan.facts[name], float):
            scan.facts[name] = int(scan.facts[name])


def _more_than(scan: Scan, big: str, small: str, message: str) -> None:
    """Report when facts[big] exceeds facts[small] (both present)."""
    a, b = scan.facts.get(big), scan.facts.get(small)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b:
        scan.problem(message.format(a=show_number(a), b=show_number(b)))


def check_consistency(scan: Scan) -> None:
    facts = scan.facts
    _more_than(scan, "present_voters", "expected_voters", "实到会人数（{a}）多于应到会人数（{b}），请核对。")
    if "present_voters" in facts:
        _more_than(scan, "yes_votes", "present_voters", "赞成票（{a}）多于实到会人数（{b}），请核对。")
    else:
        _more_than(scan, "yes_votes", "expected_voters", "赞成票（{a}）多于应到会人数（{b}），请核对。")
    _more_than(scan, "probationary_members", "members_total", "预备党员（{a}名）多于党员总数（{b}名），请核对。")
    _more_than(scan, "full_members", "members_total", "正式党员（{a}名）多于党员总数（{b}名），请核对。")
    _more_than(scan, "expected_voters", "full_members",
               "应到会有表决权的正式党员（{a}人）多于正式党员人数（{b}名），请核对。")
    full, probationary, total = (facts.get(k) for k in ("full_members", "probationary_members", "members_total"))
    if all(isinstance(v, int) for v in (full, probationary, total)) and full + probationary != total \
            and full <= total and probationary <= total:
        scan.problem(f"正式党员（{full}名）加预备党员（{probationary}名）不等于党员总数（{total}名），请核对。")


def check_facts(scan: Scan) -> None:
    check_ranges(scan)
    check_consistency(scan)
