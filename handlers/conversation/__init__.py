"""The chat itself: one turn of work for one person (turn), an inbound event applied once
(inbound), what it means (intents), where it goes (dispatch, with what its registries hold in
routes), the short questions asked outside a draft (questions), the conversation's own
commands (own_commands), what the conversation holds (draft_state), the draft's timers
(drafts) and the reply-code grammar shared by every channel.
"""
