"""The reporting calendar: obligations planned per unit and period (plan), filing them from a
reminder or a command (periodic), period names and due dates (periods), and what is late
(overdue).
"""
