"""Issue 8, item 2: guessing is slowed, then stopped, and every failure is audited.

On the old code 30 wrong passwords took 14.5 s and the right one then worked; an unknown user
name was checked against a cost-4 hash (1 ms against 238 ms: names leaked by timing).
"""

from __future__ import annotations

import bcrypt
import pytest
from sqlalchemy import select

from core.services.accounts import DELAY_AFTER, LOCK_AFTER, sign_in, throttle_wait
from core.store.accounts import BCRYPT_COST, _dummy_hash, create_user
from core.store.database import audit_log, users
from core.store.sessions import record_sign_in


@pytest.fixture()
def rita(store):
    return create_user(store, username="rita", password="correct horse", role="reviewer")


def _fail(store, n: int, *, username: str = "rita", client: str = "10.0.0.1") -> None:
    for _ in range(n):  # recorded as sign_in() records a wrong password (without paying bcrypt 10 times)
        record_sign_in(store, username=username, client=client, ok=False, reason="wrong password")


def test_the_right_password_works_before_any_throttling(store, rita):
    assert sign_in(store, "rita", "correct horse", client="10.0.0.1").user is not None


def test_after_five_failures_each_try_waits_longer(store, rita):
    _fail(store, DELAY_AFTER)
    result = sign_in(store, "rita", "correct horse", client="10.0.0.9")
    assert result.user is None and "too many attempts" in result.message.lower()
    assert "seconds" in result.message
    waits = []
    for _ in range(4):
        _fail(store, 1)
        waits.append(throttle_wait(store, username="rita", client="")[0])
    assert waits == sorted(waits) and waits[-1] > waits[0]  # growing


def test_after_ten_failures_the_account_refuses_for_15_minutes(store, rita):
    _fail(store, LOCK_AFTER)
    result = sign_in(store, "rita", "correct horse", client="192.168.1.50")  # even the right one, from elsewhere
    assert result.user is None
    assert result.message == "Too many attempts; try again in 15 minutes."
    wait, locked = throttle_wait(store, username="RITA", client="")  # names compare case-insensitively
    assert locked and 14 * 60 < wait <= 15 * 60


def test_a_client_guessing_many_names_is_slowed_too(store, rita):
    for i in range(DELAY_AFTER + 2):
        _fail(store, 1, username=f"user{i}", client="203.0.113.7")
    assert throttle_wait(store, username="rita", client="203.0.113.7")[0] > 0
    assert throttle_wait(store, username="rita", client="198.51.100.1")[0] == 0  # other clients are not
    assert sign_in(store, "rita", "correct horse", client="198.51.100.1").user is not None


def test_every_failure_is_in_the_audit_log(store, rita):
    sign_in(store, "rita", "wrong one!", client="10.1.1.1")
    sign_in(store, "nobody", "whatever1", client="10.1.1.1")
    sign_in(store, "rita", "correct horse", client="10.1.1.1")
    with store.read() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.after_json).where(audit_log.c.action == "sign_in_failed")
        ).all()
    assert [r.actor for r in rows] == ["rita", "nobody"]
    assert all("10.1.1.1" in r.after_json for r in rows)


def test_a_success_resets_the_account_count(store, rita):
    _fail(store, DELAY_AFTER - 1)
    assert sign_in(store, "rita", "correct horse").user is not None
    _fail(store, DELAY_AFTER - 1)
    assert throttle_wait(store, username="rita", client="")[0] == 0


def test_unknown_users_cost_a_hash_of_the_same_cost(store, rita):
    with store.read() as conn:
        real = conn.execute(select(users.c.password_hash).where(users.c.username == "rita")).scalar()
    dummy = _dummy_hash().decode()
    assert real.startswith(f"$2b${BCRYPT_COST}$") and dummy.startswith(f"$2b${BCRYPT_COST}$")
    assert not bcrypt.checkpw(b"anything", _dummy_hash())


def test_a_blank_field_is_named_and_is_no_attempt(store, rita):
    """Found by a browser probe: an empty form said "Wrong user name or password"."""
    assert sign_in(store, "", "", client="10.0.0.1").message == "Enter your user name and password."
    assert sign_in(store, " rita ", "", client="10.0.0.1").message == "Enter your password."
    assert sign_in(store, "  ", "correct horse", client="10.0.0.1").message == "Enter your user name."
    assert throttle_wait(store, username="rita", client="10.0.0.1") == (0.0, False)  # not counted
    with store.read() as conn:
        assert not conn.execute(select(audit_log).where(audit_log.c.action.like("sign_in%"))).all()
    assert sign_in(store, "rita", "correct horse", client="10.0.0.1").user is not None
