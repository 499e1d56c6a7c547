"""The suite's time limit, as a pytest plugin (pyproject.toml: addopts "-p tests.time_limit").

pytest-timeout fails a test that runs past its limit (pyproject: timeout). Its signal method
shows the main thread's stack, which for an async test is only the event loop's select call;
this shows where each task of the loop is waiting, down its chain of awaits, so a hang says
what it was stuck on.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

import pytest


def _stuck_here() -> str:
    """Where every task of the running event loop waits: for an async test, the stack that
    says what it is stuck on (the thread itself only shows the loop's select call)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return ""
    parts = []
    for task in asyncio.all_tasks(loop):
        lines = []
        awaited: Any = task.get_coro()
        while awaited is not None and getattr(awaited, "cr_frame", None) is not None:
            frame = awaited.cr_frame
            lines.append(f'  File "{frame.f_code.co_filename}", line {frame.f_lineno}, in '
                         f"{frame.f_code.co_name}")
            awaited = awaited.cr_await  # down the chain of awaits, to where it waits
        if lines:
            parts.append(f"--- task {task.get_name()} ---\n" + "\n".join(lines))
    return "\n".join(parts)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's signal method, with the stacks of the stuck coroutines in the
    failure (the time limit is in pyproject.toml)."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None

    def on_alarm(signum: int, frame: object) -> None:
        __tracebackhide__ = True
        pytest.fail(f"Timeout (>{settings.timeout}s) from pytest-timeout.\n{_stuck_here()}")

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True
