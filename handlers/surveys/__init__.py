"""Member surveys (khảo sát đoàn viên): forms imported from Excel (forms)."""
