"""i and h. The command line under bad input and contention, as a real subprocess: CSVs in
the encodings Excel saves, a missing folder, a settings error that must not show the token,
an unforeseen failure, and a SQLite write lock held by another process. Every failure is one
line on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from tests.cli.test_cli import BIN, tinhhinh

UNITS = [
    ("CB", "Liên đoàn Lao động tỉnh Cao Bằng", "", "Tỉnh"),
    ("CB_HQ", "Liên đoàn Lao động huyện Hà Quảng", "CB", "Huyện"),
    ("CB_CS1", "CĐCS Trường Tiểu học Xuân Hòa – Sóc Hà", "CB_HQ", "Cơ sở"),
    ("CB_CS2", "CĐCS Công ty Cổ phần Khoáng sản Nước Mỹ", "CB_HQ", "Cơ sở"),
]


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def to_cp1258(text: str) -> bytes:
    """What Excel on a Vietnamese Windows writes for "CSV": Windows-1258, whose letters with
    a tone are a base letter (â, ê, ô, ơ, ư, ă, đ precomposed) and a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = [m for m in parts[1:] if m in "\u0300\u0301\u0303\u0309\u0323"]
        base = unicodedata.normalize("NFC", parts[0] + "".join(
            m for m in parts[1:] if m not in tones))
        out += (base + "".join(tones)).encode("cp1258")
    return bytes(out)


def table(separator: str = ",") -> str:
    rows = [("ma", "ten", "ma_cap_tren", "cap"), *UNITS]
    return "\r\n".join(separator.join(r) for r in rows) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_csv_imports_in_every_encoding_excel_saves(db: Path, encoding: str) -> None:
    path = db.parent / f"units-{encoding}.csv"
    if encoding == "cp1258":
        path.write_bytes(to_cp1258(table()))
    elif encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with its mark, tab-separated
        path.write_bytes(table("\t").encode("utf-16"))
    else:
        path.write_bytes(table().encode(encoding))
    result = tinhhinh(db, "org", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # every level label is known: no warning
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT code, name, level FROM org_unit ORDER BY id").fetchall()
    assert stored == [(code, name, level) for code, name, _, level in UNITS]
    assert all(unicodedata.is_normalized("NFC", name) for _, name, _ in stored)


def test_a_csv_in_no_known_encoding_gets_one_line_naming_the_encoding_to_use(db: Path) -> None:
    path = db.parent / "units.csv"
    # Bytes no Excel encoding has (0x81, 0x8d, 0x9d are undefined in Windows-1258).
    path.write_bytes(b"ma,ten,ma_cap_tren,cap\r\nA,\x81\x8d\x9d,,\r\n")
    result = tinhhinh(db, "org", "import", str(path))
    assert result.returncode == 2
    assert one_line(result) == (
        "Không đọc được tệp units.csv: không phải UTF-8, UTF-16 hay Windows-1258. Hãy mở bằng "
        "Excel và lưu lại với kiểu «CSV UTF-8 (Comma delimited)», hoặc lưu thành .xlsx.")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM org_unit").fetchone() == (0,)


def test_an_unknown_level_label_is_imported_with_a_warning(db: Path) -> None:
    path = db.parent / "units.csv"
    path.write_text("ma,ten,ma_cap_tren,cap\nT,Tỉnh T,,tinh\nH,Huyện H,T,Huyen \n"
                    "C,Cơ sở C,H,Co soo\n", encoding="utf-8")
    result = tinhhinh(db, "org", "import", str(path))
    assert result.returncode == 0
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith(
        "Cảnh báo – dòng 4: cấp «Co soo» không có trong danh sách cấp đã biết (Tỉnh, ")
    assert "Đã nhập: 3 đơn vị mới" in result.stdout


def test_export_into_a_missing_folder_is_one_line(db: Path) -> None:
    result = tinhhinh(db, "export", "--period", "2026-11", "--unit", "X", "--out",
                      str(db.parent / "khong-co" / "x.xlsx"))
    assert result.returncode == 2
    assert one_line(result) == (
        f"Thư mục {db.parent / 'khong-co'} không tồn tại. Hãy tạo thư mục trước, hoặc chọn "
        "--out ở thư mục khác.")


def test_a_settings_error_names_the_variable_and_never_shows_the_secret(db: Path) -> None:
    token = "7514269331:AAH4xQ2rVw9LkP0sZt8YbN1mC6dEfGhIjKl"
    env = {**os.environ, "TINHHINH_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
           "TINHHINH_TELEGRAM__TOKEN": token, "TINHHINH_TELEGRAM__MODE": "webhook",
           "TINHHINH_TELEGRAM__WEBHOOK_URL": "https://bot.example.org/tg",
           "TINHHINH_TELEGRAM__WEBHOOK_SECRET": "short"}
    result = subprocess.run([str(BIN / "tinhhinh"), "run"], capture_output=True, text=True,
                            env=env, cwd=db.parent, timeout=120)
    assert result.returncode == 2
    line = one_line(result)
    assert line == (
        "Cấu hình sai: TINHHINH_TELEGRAM: TINHHINH_TELEGRAM__WEBHOOK_SECRET must be 16-256 of "
        "A-Z, a-z, 0-9, _ and -")
    everything = result.stdout + result.stderr
    # No part of the token (pydantic's own message once showed its last 22 characters).
    assert not any(token[i:i + 6] in everything for i in range(len(token) - 5))


def test_an_unforeseen_failure_is_one_line_with_secrets_redacted(tmp_path: Path) -> None:
    # Nothing listens on port 9: the connection fails inside the database driver.
    env = {"TINHHINH_DATABASE_URL": "postgresql+asyncpg://u:pa55w0rd-secret@127.0.0.1:9/x"}
    result = tinhhinh(tmp_path / "unused.db", "org", "list", **env)
    assert result.returncode == 2
    assert one_line(result).startswith("Lỗi: ")


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that takes SQLite's write lock and holds it for ``seconds``."""
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "c.execute('COMMIT')\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_commands_wait_out_a_lock_held_by_another_process_then_fail_clearly(db: Path) -> None:
    # Held for 3 s: the command waits (default 30 s) and succeeds.
    holder = hold_write_lock(db, 3)
    started = time.monotonic()
    result = tinhhinh(db, "org", "list")
    waited = time.monotonic() - started
    holder.wait(10)
    assert result.returncode == 0, result.stderr
    assert "Chưa có đơn vị nào" in result.stdout
    assert waited >= 2.0  # it did wait for the lock (a lower bound only: no timing target)
    # Held longer than the configured wait: one clear line, exit 2.
    holder = hold_write_lock(db, 8)
    try:
        result = tinhhinh(db, "org", "list", TINHHINH_SQLITE_LOCK_WAIT_SECONDS="1")
    finally:
        holder.kill()
        holder.wait(10)
    assert result.returncode == 2
    assert one_line(result) == (
        "Cơ sở dữ liệu SQLite đang bị một tiến trình khác khoá ghi (đã chờ 1 giây). Hãy thử "
        "lại khi tiến trình đó xong, hoặc tăng TINHHINH_SQLITE_LOCK_WAIT_SECONDS.")


def test_status_shows_quotas_pauses_backlog_and_updates_set_aside(db: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    month = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    until = (now + timedelta(minutes=7)).replace(tzinfo=None)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO channel_usage (channel, month, messages, users, exhausted_at,"
                     " paused_until, strikes, stranger_messages, stranger_users) VALUES "
                     "('zalo', ?, 312, 14, ?, ?, 2, 9, 2)", (month, now.replace(tzinfo=None),
                                                            until))
        conn.execute("INSERT INTO inbound_update (channel, event_id, chat_id, body, status, "
                     "attempts, reason, received_at) VALUES ('zalo', 'm1', 'c1', '{}', "
                     "'failed', 3, 'RuntimeError: x', ?)", (now.replace(tzinfo=None),))
    env = {"TINHHINH_ZALO__TOKEN": "1234567890:zalo-token-for-status",
           "TINHHINH_ZALO__TITLE": "Zalo Công đoàn tỉnh"}
    result = tinhhinh(db, "status", "--no-check-tokens", **env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Kênh đang cấu hình: zalo"
    assert lines[1] == (
        f"Zalo «Zalo Công đoàn tỉnh» tháng {month}: 312/3000 tin nhắn, 14/50 người dùng; người "
        "chưa có vai trò: 2/5 người, 9/150 tin")
    local = (now + timedelta(minutes=7)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert lines[2] == (f"  ⏸ Tạm dừng gửi đến {local:%H:%M %d/%m/%Y} (Zalo báo 429, 2 lần "
                        "liên tiếp); bot tự thử lại khi hết giờ.")
    assert lines[3] == "Hàng đợi gửi: 0 chờ, 0 đang gửi, 0 không gửi được, 0 bỏ (vượt giới hạn)"
    assert lines[4] == "Tin nhận zalo: 0 chờ xử lý, 1 bị gác lại do lỗi, 0 không đọc được"
    assert "zalo-token" not in result.stdout + result.stderr
    as_json = json.loads(tinhhinh(db, "status", "--no-check-tokens", "--json", **env).stdout)
    assert as_json["quotas"][0]["strikes"] == 2 and as_json["inbound"] == {"zalo": {"failed": 1}}
