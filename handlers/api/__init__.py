"""The read-only JSON API for other systems: one subtree's units, reports, hot spots and
reporting ledger, read with a per-subtree token an administrator makes."""
