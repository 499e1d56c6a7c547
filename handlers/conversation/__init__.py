"""The chat itself: one turn of work for one person (turn), an inbound event applied once
(inbound), what it means (intents), where it goes (dispatch), what the conversation holds
(draft_state), the draft's timers (drafts) and the reply-code grammar shared by every channel.
"""
