"""Two dispatchers at once send each message exactly once (PostgreSQL, and SQLite).

Both claim with ``FOR UPDATE SKIP LOCKED``: a row one claim holds is invisible to the
other's, and a claimed row is ``sending`` (not due) once the claim commits; SQLite
serialises the claims (``BEGIN IMMEDIATE``, one writer). 60
messages, batches of 4, two threads racing until nothing is due: the SMTP server
must receive 60 emails with 60 distinct Message-IDs, and every row ends ``sent``
after exactly one attempt.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from systok.clock import now_us
from systok.db.engine import run_transaction
from systok.notify.dispatcher import dispatch_once
from systok.notify.schemas import MessageKind
from systok.notify.service import enqueue
from tests.notify.outbox import RULE, outbox, with_profile
from tests.notify.servers import smtp_server
from tests.notify.test_outbox import channels

MESSAGES = 60


def test_two_dispatchers_send_each_message_once(engine: Engine) -> None:
    with_profile(engine, "anna", email="anna@example.org")
    for n in range(MESSAGES):
        run_transaction(
            engine,
            lambda s, n=n: enqueue(
                s,
                MessageKind.TRANSFER_RECEIVED,
                "anna",
                event_key=f"transfer:{n}",
                params={"amount": f"{n}.000000", "sender": "m1"},
                now_us=now_us(),
            ),
        )
    start = threading.Barrier(2)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def dispatcher(port: int) -> None:
        try:
            start.wait()
            while (done := dispatch_once(engine, channels(port), RULE, limit=4)).claimed:
                claimed.append(done.claimed)
        except BaseException as error:  # reported below, with the thread's name
            errors.append(error)

    with smtp_server() as server:
        threads = [threading.Thread(target=dispatcher, args=(server.port,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert sum(claimed) == MESSAGES
    ids = [m["Message-ID"] for m in server.received]
    assert len(ids) == MESSAGES == len(set(ids))
    assert {(r["status"], r["attempts"]) for r in outbox(engine)} == {("sent", 1)}
