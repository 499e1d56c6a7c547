"""Figures for officials: gathered by set-based SQL (gather), put into words (text) and a
chart (chart), sent weekly (digest) or on request (stats).
"""
