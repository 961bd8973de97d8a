"""Print the database URL `make test` should use.

PostgreSQL on 127.0.0.1:5432 when it answers (the real thing: row locks, the audit trigger);
otherwise a SQLite file, so the suite still runs on a laptop with no services. With CI=true a
missing PostgreSQL is an error, never a silent fall-back.
"""

import os
import socket
import sys

PG_URL = "postgres://postgres@127.0.0.1:5432/octoacme"
SQLITE_URL = "sqlite:///var/test.sqlite3"


def postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    if postgres_answers():
        print(PG_URL)
        return 0
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        print("CI=true but PostgreSQL does not answer on 127.0.0.1:5432", file=sys.stderr)
        return 1
    print("PostgreSQL not reachable: running the tests on SQLite", file=sys.stderr)
    print(SQLITE_URL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
