"""The officials' and administrators' web workplace: the subtree's overview, the hot-spot board,
the reports, the reporting ledger and the exports, with the chat's permissions."""
