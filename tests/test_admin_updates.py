"""ContentAdmin and the YAML loader below the Telegram adapter (issue 17): located errors for what PyYAML
used to raise on, compare-and-swap publishing, and diffs that see synonyms, scope and holidays."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from common.problems import InvalidData
from tests.conftest import ROOT
from common.yamlload import MAX_DEPTH, parse_yaml
from handlers.content.admin import StaleCandidate, UploadRefused, target_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_content_admin import NEW_ENTRY, NEW_FILE, Setup, copy_content, load  # noqa: E402


@pytest.fixture
def live(tmp_path):
    """A private copy of the shipped content, loaded and live, with a baseline version recorded."""
    root = copy_content(tmp_path / "root")
    setup = Setup(root, load(root))
    setup.admin.record_baseline()
    return setup


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"a: 1\nb: x\x00y\n", "f.yaml:2: column 5: a NUL byte (U+0000); YAML files cannot contain it"),
        (
            "a: 1\nb: 第一行\x0b第二行\n".encode(),
            "f.yaml:2: column 7: a vertical tab (U+000B, what Word writes for a "
            "manual line break): replace it with a line break; YAML files cannot contain it",
        ),
        (b"a: \x1b[0m\n", "f.yaml:1: column 4: the control character U+001B; YAML files cannot contain it"),
        (b"x: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", f"f.yaml:1: nested more than {MAX_DEPTH} levels deep"),
        (
            b"x:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 60)),
            f"f.yaml:{MAX_DEPTH + 2}: nested more than {MAX_DEPTH} levels deep",
        ),
        (b"day: 2026-02-30\n", "f.yaml:1: day: '2026-02-30' is not a valid timestamp: day is out of range for month"),
    ],
)
def test_what_pyyaml_raised_on_is_a_located_problem(raw, expected):
    with pytest.raises(InvalidData) as error:
        parse_yaml(raw, "f.yaml")
    assert expected in [str(p) for p in error.value.problems]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("DUES.YAML", "knowledge/dues.yaml"),
        ("Dues.Yml", "knowledge/dues.yaml"),
        ("new.yaml", "knowledge/new.yaml"),
        ("holidays.yaml", "knowledge/holidays.yaml"),
        ("..\\..\\x.yaml", "knowledge/x.yaml"),
    ],
)
def test_upload_targets(name, expected):
    root = Path(__file__).resolve().parent.parent
    assert target_for(name, b"version: 1\n", root) == expected


@pytest.mark.parametrize(
    "name, message", [(".hidden.yaml", "隐藏文件"), (".yaml", "不是 .yaml 文件"), ("notes.txt", "不是 .yaml 文件")]
)
def test_upload_names_that_cannot_be_placed(name, message):
    with pytest.raises(UploadRefused, match=message):
        target_for(name, b"", Path("."))


def test_a_candidate_built_before_another_publish_is_refused(live):
    s = live
    a = s.admin.candidate({NEW_FILE: NEW_ENTRY})
    b = s.admin.candidate({"knowledge/synonyms.yaml": b"version: 1\ngroups: []\n"})
    assert a.ok and b.ok
    s.admin.publish(b)
    with pytest.raises(StaleCandidate, match="重新上传"):
        s.admin.publish(a)
    assert not (s.root / NEW_FILE).exists()
    assert s.assistant.content is b.content


def test_a_candidate_is_refused_after_the_files_changed_on_disk(live):
    s = live
    a = s.admin.candidate({NEW_FILE: NEW_ENTRY})
    path = s.root / "knowledge" / "dues.yaml"
    path.write_bytes(path.read_bytes() + b"\n# edited by hand\n")
    with pytest.raises(StaleCandidate):
        s.admin.publish(a)
    assert path.read_bytes().endswith(b"# edited by hand\n")


def test_rebuilt_on_the_new_version_it_publishes(live):
    s = live
    s.admin.publish(s.admin.candidate({"knowledge/synonyms.yaml": b"version: 1\ngroups: []\n"}))
    again = s.admin.candidate({NEW_FILE: NEW_ENTRY})
    s.admin.publish(again)
    assert (s.root / NEW_FILE).read_bytes() == NEW_ENTRY


# how many synonym groups the shipped synonyms.yaml has (emptying it removes them all)
SHIPPED_GROUPS = len(yaml.safe_load((ROOT / "knowledge" / "synonyms.yaml").read_text(encoding="utf-8"))["groups"])


@pytest.mark.parametrize(
    "path, data, line",
    [
        ("knowledge/synonyms.yaml", b"version: 1\ngroups: []\n", f"同义词组删除 {SHIPPED_GROUPS}"),
        ("knowledge/holidays.yaml", None, "节假日年份新增 1：2027"),
    ],
)
def test_the_diff_sees_synonyms_and_holidays(live, path, data, line):
    s = live
    if data is None:
        data = (s.root / path).read_bytes() + (
            "  2027:\n    source: 测试用通知（虚构）\n    holidays:\n      - {name: 元旦, from: 2027-01-01}\n"
        ).encode()
    shipped = len(yaml.safe_load((s.root / "knowledge" / "synonyms.yaml").read_text(encoding="utf-8"))["groups"])
    line = line.format(shipped=shipped)
    candidate = s.admin.candidate({path: data}, replay_last=0)
    assert candidate.ok, "\n".join(map(str, candidate.errors))
    assert any(d.startswith(line) for d in candidate.diff) and "内容没有变化" not in candidate.diff
