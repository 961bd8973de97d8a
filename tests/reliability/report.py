"""Figures the reliability tests record; `make reliability` writes them to docs/reliability.md."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

FIGURES: dict[str, dict[str, Any]] = defaultdict(dict)


def record(section: str, **values: Any) -> None:
    FIGURES[section].update(values)


def add(section: str, key: str, amount: int = 1) -> None:
    FIGURES[section][key] = FIGURES[section].get(key, 0) + amount


# What the suite found and what was done about it (kept with the code that proves it).
FINDINGS = [
    "Matrix: a hand-off could be acknowledged on a closed, cancelled or rolled-back release; "
    "acknowledging now needs a stage its phase allows (the QA hand-off: staging or approved; "
    "the post-release ones: deployed).",
    "Matrix: an incident could be resolved whatever the release's stage; resolving now needs "
    "a deployed or rolled-back release.",
    "Faults: a worker killed after the SMTP server took a message but before the 250 reached "
    "it sends that message again on retry (SMTP cannot tell either side which way it went). "
    "Every notice now carries a Message-ID derived from its key, the same on every attempt, "
    "so receivers drop the copy; the figure is reported as measured, not hidden.",
    "Races: Django's test server resets connections beyond a backlog of 10; the suite raises "
    "it to 128 so 50 simultaneous requests reach the app (gunicorn's backlog is 2048).",
    "Sign-in was not throttled: django-axes now locks a username + address pair after 5 "
    "failures, with a page that says why (HTTP 429).",
    "Behind a proxy every sign-in seemed to come from the proxy (django-ipware was missing), "
    "so six wrong passwords from one address locked the user out everywhere. The address is "
    "now taken from X-Forwarded-For through PROXY_COUNT trusted proxies only (the entry the "
    "nearest proxy appended; a forged prefix is ignored), proven on gunicorn.",
    "Admin: the outbox's 'retry now' was offered to staff who may only view notices and "
    "rewrote their rows; it now needs the change permission. axes' 'clean up expired "
    "attempts' declared no permission either and failed with a server error for everyone; "
    "it now needs the delete permission and works. Every admin action declares one.",
    "Hostile notices: a line break in an incident title, a release name or a role name made "
    "every notice quoting it unsendable (Django refuses CR/LF in a header) until it was marked "
    "failed; on-call never heard of the incident. One-line fields now refuse control "
    "characters with a message (services, pages, admin), and the outbox makes every subject "
    "one line of at most 200 characters, also for rows stored before. Found on the way: an "
    "incident title over 120 characters, or two long role names in a hand-off, overflowed the "
    "audit subject column (a server error); the audit trail now cuts it to fit.",
]
