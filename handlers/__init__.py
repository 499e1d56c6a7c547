"""Channel-neutral use cases: inbound dispatch, enrolment, reports, history, timers."""
