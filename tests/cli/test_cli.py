"""The `tinhhinh` command as administrators run it: a real subprocess on a real database."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tinhhinh(db: Path, *args: str, stdin: str = "",
             **more_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TINHHINH_DATABASE_URL": f"sqlite+aiosqlite:///{db}", **more_env}
    env.pop("TINHHINH_TELEGRAM__TOKEN", None)
    return subprocess.run(
        [str(BIN / "tinhhinh"), *args], input=stdin, capture_output=True, text=True, env=env,
        cwd=db.parent, timeout=120,
    )


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("ma,ten,ma_cap_tren,cap\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = tinhhinh(tmp_path / "empty.db", "run")
    assert result.returncode == 2
    assert "tinhhinh db upgrade" in result.stderr


def test_a_bad_policy_file_stops_start_up_with_the_file_and_field(db: Path) -> None:
    policy = db.parent / "policy.yaml"
    policy.write_text("escalation:\n  khan_cap: {ack_minutes: -5}\n", encoding="utf-8")
    result = tinhhinh(db, "run", TINHHINH_POLICY_FILE=str(policy))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Tệp chính sách không hợp lệ: {policy}: escalation.khan_cap.ack_minutes: "
        "Input should be greater than 0")


def test_import_reports_every_problem_with_row_numbers_and_imports_nothing(
    db: Path, tmp_path: Path
) -> None:
    bad = write_csv(tmp_path / "bad.csv", [
        "T,Tỉnh,,Tỉnh",
        "A,Huyện A,T,Huyện",
        "A,Huyện A lặp,T,Huyện",
        "B,,T,Huyện",
        "C,Cơ sở C,KHONGCO,Cơ sở",
        "X,Vòng X,Y,",
        "Y,Vòng Y,X,",
        ",Không mã,T,",
    ])
    result = tinhhinh(db, "org", "import", str(bad))
    assert result.returncode == 2
    err = result.stderr
    assert "Dòng 4: mã A trùng với dòng 3." in err
    assert "Dòng 5: đơn vị B thiếu tên" in err
    assert "Dòng 6: mã cấp trên KHONGCO của C không tồn tại." in err
    assert "Dòng 7: vòng lặp cấp trên X → Y → X." in err
    assert "Dòng 9: thiếu mã đơn vị" in err
    assert "chưa nhập đơn vị nào" in err
    assert "Chưa có đơn vị nào" in tinhhinh(db, "org", "list").stdout


def test_import_csv_then_xlsx_updates_by_code_without_duplicates(db: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    first = write_csv(tmp_path / "org.csv", ["T,Tỉnh Demo,,Tỉnh", "H,Huyện Một,T,Huyện"])
    assert "2 đơn vị mới" in tinhhinh(db, "org", "import", str(first)).stdout
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã", "Tên", "Mã cấp trên", "Cấp"])
    sheet.append(["H", "Huyện Một (đổi tên)", "T", "Huyện"])
    sheet.append(["CS1", "CĐCS Công ty A", "H", "Cơ sở"])
    book.save(tmp_path / "org.xlsx")
    result = tinhhinh(db, "org", "import", str(tmp_path / "org.xlsx"))
    assert "1 đơn vị mới, 1 đơn vị cập nhật" in result.stdout
    tree = tinhhinh(db, "org", "list").stdout
    assert tree.count("Huyện Một (đổi tên)") == 1 and "Huyện Một  " not in tree
    lines = tree.splitlines()
    assert lines[0].startswith("T") and "H " in lines[1] and "CS1" in lines[2]


def test_reimport_can_move_a_unit_and_a_cycle_with_stored_units_is_refused(
    db: Path, tmp_path: Path
) -> None:
    tinhhinh(db, "org", "import", str(write_csv(tmp_path / "a.csv", ["T,T,,", "H,H,T,"])))
    cyc = tinhhinh(db, "org", "import", str(write_csv(tmp_path / "b.csv", ["T,T,H,"])))
    assert cyc.returncode == 2 and "vòng lặp" in cyc.stderr


def test_invite_create_json(db: Path, tmp_path: Path) -> None:
    tinhhinh(db, "org", "import", str(write_csv(tmp_path / "a.csv", ["T,T,,", "CS,CS,T,"])))
    env_user = {"TINHHINH_TELEGRAM__USERNAME": "tinhhinh_bot"}
    os.environ.update(env_user)
    try:
        result = tinhhinh(db, "invite", "create", "--unit", "CS", "--role", "chair", "--json")
    finally:
        os.environ.pop("TINHHINH_TELEGRAM__USERNAME")
    data = json.loads(result.stdout)
    assert set(data) == {"code", "telegram_link", "unit", "role", "expires_at"}
    assert len(data["code"]) == 8 and not set(data["code"]) & set("01OIL")
    assert data["telegram_link"] == f"https://t.me/tinhhinh_bot?start={data['code']}"
    assert (data["unit"], data["role"]) == ("CS", "chair")
    bad = tinhhinh(db, "invite", "create", "--unit", "NOPE", "--role", "chair")
    assert bad.returncode == 2 and "Không có đơn vị mã NOPE" in bad.stderr


def test_chat_reads_a_piped_transcript(db: Path) -> None:
    seeded = tinhhinh(db, "demo", stdin="")
    assert seeded.returncode == 0
    result = tinhhinh(db, "chat", "--as", "demo", stdin="/trogiup\n/baocao\n7\n")
    assert "> /trogiup" in result.stdout and "/baocao – gửi báo cáo nhanh" in result.stdout
    assert "Câu 2. Bao nhiêu người ngừng việc?" in result.stdout


def test_readme_run_command_starts_the_console_bot(tmp_path: Path) -> None:
    """`make run` on a fresh database: migrates, seeds the demo, answers as the demo chair."""
    env = {
        **os.environ,
        "TINHHINH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "VENV": str(BIN.parent),
    }
    result = subprocess.run(
        ["make", "--no-print-directory", "run"], input="/baocao\nhuy\n", capture_output=True,
        text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Đã tạo tỉnh mẫu" in result.stdout
    assert "Câu 1. Lĩnh vực phát sinh?" in result.stdout
    assert "Đã huỷ báo cáo" in result.stdout


def test_export_writes_the_subtrees_month_to_excel_with_an_audit_row(db: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    assert tinhhinh(db, "demo", stdin="").returncode == 0
    report = ["/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm", "1",
              "xong", "gửi"]
    filed = tinhhinh(db, "chat", "--as", "demo", stdin="\n".join(report) + "\n")
    assert "BC-" in filed.stdout
    month = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    out = db.parent / "huyen.xlsx"
    result = tinhhinh(db, "export", "--period", month, "--unit", "DEMO_HUYEN", "--out", str(out))
    assert result.returncode == 0, result.stderr
    # The demo opens the periods being filed: their ledger rows depend on today's date.
    assert re.fullmatch(rf"Đã ghi {re.escape(str(out))}: 1 báo cáo, 0 điểm nóng, \d+ dòng "
                        r"tình hình nộp\.", result.stdout.strip()), result.stdout
    # The progress bar counts rows: the report and the ledger's.
    assert re.search(r"Đang xuất .* (\d+)/\1 ", result.stderr), result.stderr
    book = load_workbook(out)
    rapid = list(book["Báo cáo nhanh"].iter_rows(values_only=True))
    assert len(rapid) == 2 and rapid[1][1] == "DEMO_CS1" and rapid[1][5] == "Tiền thưởng, phúc lợi"
    # An administrator's export withholds the words unless asked for them explicitly.
    assert rapid[1][11] == "(chỉ cấp trên trực tiếp được xem)"
    words = db.parent / "huyen-full.xlsx"
    assert tinhhinh(db, "export", "--period", month, "--unit", "DEMO_HUYEN", "--out", str(words),
                    "--free-text").returncode == 0
    row = list(load_workbook(words)["Báo cáo nhanh"].iter_rows(values_only=True))[1]
    assert row[11] == "Công nhân hỏi về tiền thưởng cuối năm"
    province = db.parent / "tinh.xlsx"
    assert tinhhinh(db, "export", "--period", month, "--unit", "demo_tinh", "--out",
                    str(province)).returncode == 0
    row = list(load_workbook(province)["Báo cáo nhanh"].iter_rows(values_only=True))[1]
    assert row[11] == "(chỉ cấp trên trực tiếp được xem)"
    with sqlite3.connect(db) as conn:
        audits = conn.execute("SELECT subject, details FROM audit_log WHERE action = 'export' "
                              "ORDER BY id").fetchall()
    assert [(s, json.loads(d)["via"], json.loads(d)["period"], json.loads(d)["free_text"])
            for s, d in audits] == [("unit:DEMO_HUYEN", "cli", month, "withheld"),
                                    ("unit:DEMO_HUYEN", "cli", month, "all"),
                                    ("unit:DEMO_TINH", "cli", month, "withheld")]

    bad = tinhhinh(db, "export", "--period", "2026-13", "--unit", "DEMO_HUYEN", "--out",
                   str(out))
    assert bad.returncode == 2 and "Kỳ «2026-13» không hợp lệ" in bad.stderr
    missing = tinhhinh(db, "export", "--period", month, "--unit", "NOPE", "--out", str(out))
    assert missing.returncode == 2 and "Không có đơn vị mã NOPE." in missing.stderr


def test_form_import_stores_a_survey_and_says_what_is_wrong_where(
        db: Path, tmp_path: Path) -> None:
    from tests.forms.test_xlsform import SHIPPED, _row, edited

    shipped = tinhhinh(db, "form", "import", str(SHIPPED))
    assert shipped.returncode == 0
    assert shipped.stdout.strip() == "Đã nhập biểu mẫu khao_sat_doan_vien, phiên bản 1."
    again = tinhhinh(db, "form", "import", str(SHIPPED))
    assert "tệp không đổi, không có gì thay đổi" in again.stdout
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(edited(lambda b: setattr(_row(b, "kien_nghi")[1], "value", "tam_tu")))
    refused = tinhhinh(db, "form", "import", str(broken))
    assert refused.returncode == 2
    assert refused.stderr.strip() == "hong.xlsx: trang survey, dòng 12: tên câu hỏi «tam_tu» " \
        "bị trùng."


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    first = tinhhinh(path, "db", "upgrade")
    assert first.returncode == 0
    assert first.stdout.strip() == ("Đã tạo hoặc cập nhật lược đồ cơ sở dữ liệu lên phiên bản "
                                    "mới nhất.")
    again = tinhhinh(path, "db", "upgrade")
    assert again.returncode == 0
    assert again.stdout.strip() == "Cơ sở dữ liệu đã ở phiên bản mới nhất, không có gì thay đổi."


def test_the_demo_opens_the_current_periods_and_the_console_saves_an_export(db: Path) -> None:
    """`tinhhinh demo` opens the periods being filed now (the demo chair has something due,
    not "đã nộp đủ"), and an export asked for in a console chat is written to a file whose
    path is printed (tinhhinh runs in the database's folder here)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    assert tinhhinh(db, "demo", stdin="").returncode == 0
    due = tinhhinh(db, "chat", "--as", "demo", stdin="/hanbaocao\n")
    assert "Báo cáo định kỳ cần nộp:" in due.stdout, due.stdout
    assert "đã nộp đủ" not in due.stdout
    month = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    asked = tinhhinh(db, "chat", "--as", "canbo", stdin=f"/xuat {month}\n")
    path = db.parent / f"tinhhinh-DEMO_HUYEN-{month}.xlsx"
    assert f"📎 {path.resolve()}" in asked.stdout, asked.stdout
    assert "Báo cáo nhanh" in load_workbook(path).sheetnames


def test_invite_create_refuses_a_role_that_does_not_fit_the_unit(db: Path) -> None:
    assert tinhhinh(db, "demo", stdin="").returncode == 0
    chair = tinhhinh(db, "invite", "create", "--unit", "DEMO_HUYEN", "--role", "chair")
    assert chair.returncode == 2
    assert chair.stderr.strip() == (
        "Không tạo được mã chủ tịch cho Liên đoàn Lao động huyện Bắc Hà (demo): đơn vị này còn "
        "có đơn vị trực thuộc. Mã chủ tịch chỉ dành cho CĐCS.")
    official = tinhhinh(db, "invite", "create", "--unit", "DEMO_CS1", "--role", "official")
    assert official.returncode == 2
    assert official.stderr.strip() == (
        "Không tạo được mã cán bộ cho CĐCS Công ty TNHH May Bắc Hà: đây là CĐCS, không có đơn "
        "vị trực thuộc. Hãy tạo mã chủ tịch (--role chair).")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM invite").fetchone() == (0,)
