"""The salt: from the environment, from a file beside the database, or per process in memory."""

import stat

from storage import load_salt
from storage.salt import hash_user_id


def test_env_salt_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIBU_SALT", "s3cret")
    assert load_salt(tmp_path / "zhibu.db") == b"s3cret"
    assert not (tmp_path / "zhibu.db.salt").exists()


def test_salt_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("ZHIBU_SALT", raising=False)
    path = tmp_path / "data" / "zhibu.db"
    first = load_salt(path)
    salt_file = tmp_path / "data" / "zhibu.db.salt"
    assert len(first) == 32
    assert salt_file.read_bytes() == first
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert load_salt(str(path)) == first
    assert [p.name for p in salt_file.parent.iterdir()] == ["zhibu.db.salt"]


def test_memory_salt_is_per_process(monkeypatch):
    monkeypatch.delenv("ZHIBU_SALT", raising=False)
    assert load_salt(None) == load_salt(":memory:")
    assert len(load_salt(None)) == 32


def test_hash_depends_on_the_salt():
    assert hash_user_id(b"a", 1) != hash_user_id(b"b", 1)
    assert hash_user_id(b"a", None) is None
