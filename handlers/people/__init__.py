"""Who may do what: invites and enrolment, linking a second messenger account, the org tree
import, the demo province, and the one rule of who may read free text (privacy).
"""
