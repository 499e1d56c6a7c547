"""Filing a report: the draft's flow through the pure engine and the effects it applies
(flow), questions and cards in the person's language (render), and a chair's history.
"""
