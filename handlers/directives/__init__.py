"""Directives down the tree (văn bản chỉ đạo): written and published by officials (publishing),
answered by chairs (answers), confirmed by members on their unit's link (members), reminded on
the calendar's steps (reminders), measured per subtree (figures), shown in the chat (desk) and
on the web pages (viewing)."""
