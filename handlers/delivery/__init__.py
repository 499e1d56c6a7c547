"""Around sending: an account the messenger refuses is marked and its officials told
(reachability), a message goes through the person's other messenger (fallback), the
administrators' notices (admins) and the status snapshot (status).
"""
