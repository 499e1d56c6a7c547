"""Hot spots: the incident an alarming report opens and its escalation ladder up the union
tree (escalation), the alerts and notices officials receive (alerts), and the reply codes
they act with (desk).
"""
