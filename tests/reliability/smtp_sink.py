"""A small SMTP server on loopback for fault tests: it can accept, refuse, or stall.

A message counts as delivered only once the server has answered 250 to its DATA: a client
killed before that has delivered nothing, as with a real server.
"""

from __future__ import annotations

import re
import socketserver
import threading
import time
from collections import Counter, defaultdict


class Sink:
    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()  # X-OctoAcme-Notice -> times accepted
        self.message_ids: defaultdict[str, set[str]] = defaultdict(set)
        # Every message taken: its envelope recipients (RCPT TO) and its bytes as sent.
        self.envelopes: list[tuple[list[str], bytes]] = []
        self.refuse_next = 0  # answer 451 to this many DATA commands
        self.stall = 0.0  # seconds to wait, at `stall_at`
        # "transfer": after DATA, before the client may send the message (a client killed
        # then has delivered nothing); "reply": after the final dot, before the 250 (the
        # message is taken even if the client never reads the answer, as real servers do).
        self.stall_at = "reply"
        self.stalling = threading.Event()  # set while a message waits for its 250
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 sink ESMTP\r\n")
                rcpts: list[str] = []
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 sink\r\n")
                    elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        if verb == b"RCPT":
                            rcpts.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                        elif verb in (b"MAIL", b"RSET"):
                            rcpts = []
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == b"DATA":
                        if sink.stall and sink.stall_at == "transfer":
                            sink._pause()
                        self.wfile.write(b"354 go ahead\r\n")
                        body = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body += chunk
                        self.wfile.write(sink._answer(body, rcpts))
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"502 unknown\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _answer(self, body: bytes, rcpts: list[str] | None = None) -> bytes:
        with self.lock:
            if self.refuse_next:
                self.refuse_next -= 1
                return b"451 4.3.0 try again later\r\n"
        if self.stall and self.stall_at == "reply":
            self._pause()
        match = re.search(rb"X-OctoAcme-Notice: (\S+)", body)
        message_id = re.search(rb"Message-ID: (\S+)", body, re.I)
        with self.lock:
            self.envelopes.append((list(rcpts or []), body))
            self.delivered[match.group(1).decode() if match else "?"] += 1
            self.message_ids[match.group(1).decode() if match else "?"].add(
                message_id.group(1).decode() if message_id else "?"
            )
        return b"250 2.0.0 queued\r\n"

    def _pause(self) -> None:
        self.stalling.set()
        time.sleep(self.stall)
        self.stalling.clear()

    def counts(self, expected_keys: set[str]) -> dict[str, int]:
        with self.lock:
            got = set(self.delivered)
            return {
                "notices": len(expected_keys),
                "delivered": len(got & expected_keys),
                "lost": len(expected_keys - got),
                "sent twice": sum(n - 1 for k, n in self.delivered.items() if n > 1),
                # What a reader sees: mail stores fold copies that share a Message-ID.
                "copies with a different Message-ID": sum(
                    len(ids) - 1 for ids in self.message_ids.values()
                ),
            }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
