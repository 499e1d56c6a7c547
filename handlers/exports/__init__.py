"""Excel exports of a subtree's period: asked for in chat (desk), the period named (period),
and the workbook written with privacy by level and formula-safe cells (workbook).
"""
