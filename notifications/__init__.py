"""Email notices: the outbox, their delivery and retries, and throttles for periodic sends.

This app knows nothing about releases: callers hand it recipients, a subject, a context for
the notice templates and a unique key, and it makes sure each notice is sent exactly once.
"""
