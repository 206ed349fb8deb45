import pytest

from core.store.accounts import (
    AdminSetup,
    AuthError,
    authenticate,
    check_merchant_id,
    check_password,
    create_user,
    delete_user,
    ensure_default_admin,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
)
from core.store.database import users


def test_create_and_authenticate(store):
    create_user(store, username="rita", password="correct horse", role="reviewer")
    create_user(store, username="mia", password="merchant pw 1", role="merchant", merchant_id="acme-home")
    assert authenticate(store, "rita", "correct horse").role == "reviewer"
    assert authenticate(store, "RITA", "correct horse").username == "rita"
    assert authenticate(store, "rita", "wrong password") is None
    assert authenticate(store, "nobody", "whatever1") is None
    assert authenticate(store, "mia", "merchant pw 1").merchant_id == "acme-home"
    with store.read() as conn:
        stored = conn.execute(users.select().where(users.c.username == "rita")).first().password_hash
    assert stored.startswith("$2") and "correct horse" not in stored


@pytest.mark.parametrize(
    "args,msg",
    [
        (("x", "longenough", "reviewer"), "user names"),
        (("bob", "short", "reviewer"), "at least 8"),
        (("bob", "longenough", "boss"), "role must be"),
        (("bob", "longenough", "merchant"), "merchant id"),
        (("bob", "é" * 40, "reviewer"), "72 bytes"),
    ],
)
def test_bad_accounts_are_refused(store, args, msg):
    with pytest.raises(AuthError, match=msg):
        create_user(store, **dict(zip(("username", "password", "role"), args, strict=True)))


def test_duplicate_name_refused(store):
    create_user(store, username="rita", password="correct horse", role="reviewer")
    with pytest.raises(AuthError, match="taken"):
        create_user(store, username="Rita", password="correct horse", role="admin")


def test_password_change_and_deactivate(store):
    create_user(store, username="rita", password="correct horse", role="reviewer")
    set_password(store, username="rita", password="battery staple")
    assert authenticate(store, "rita", "correct horse") is None
    assert authenticate(store, "rita", "battery staple") is not None
    set_active(store, "rita", False)
    assert authenticate(store, "rita", "battery staple") is None
    assert [u.active for u in list_users(store)] == [False]


def test_default_admin_generated_once(store, monkeypatch):
    monkeypatch.delenv("IMAGEDESK_ADMIN_PASSWORD", raising=False)
    setup = ensure_default_admin(store)
    assert setup.username == "admin" and setup.password and len(setup.password) >= 12
    assert authenticate(store, "admin", setup.password).role == "admin"
    assert ensure_default_admin(store) == AdminSetup()  # an active admin exists: nothing to do


def test_default_admin_from_environment(store, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "from-the-env-1")
    assert ensure_default_admin(store) == AdminSetup(username="admin")  # nothing to print
    assert authenticate(store, "admin", "from-the-env-1") is not None


def test_sessions(store):
    from core.store.sessions import create_session, revoke_session, session_user

    u = create_user(store, username="rita", password="correct horse", role="reviewer")
    token = create_session(store, u)
    assert session_user(store, token).username == "rita"
    assert session_user(store, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None  # unknown id
    assert session_user(store, "garbage!") is None and session_user(store, "") is None
    assert revoke_session(store, token) and session_user(store, token) is None


def test_admin_created_when_the_first_account_came_from_the_command_line(store, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "from-the-env-2")
    create_user(
        store, username="rita", password="correct horse", role="reviewer"
    )  # `users add` before anyone opened the app
    assert ensure_default_admin(store) == AdminSetup(username="admin")
    assert authenticate(store, "admin", "from-the-env-2").role == "admin"


def test_admin_created_again_when_none_is_active(store, monkeypatch):
    monkeypatch.delenv("IMAGEDESK_ADMIN_PASSWORD", raising=False)
    create_user(store, username="boss", password="in charge 42", role="admin")
    assert ensure_default_admin(store) == AdminSetup()  # an active admin exists
    _disable_directly(store, "boss")  # set_active refuses to disable the last active administrator
    setup = ensure_default_admin(store)
    assert setup.username == "admin" and setup.password
    create_user(store, username="x-admin", password="long enough", role="reviewer")
    _disable_directly(store, "admin")
    assert ensure_default_admin(store).username == "admin2"  # the name 'admin' is taken (disabled)


def _disable_directly(store, name):
    """As a database edit (or an older version of the program) could leave an account."""
    with store.write() as conn:
        conn.execute(users.update().where(users.c.username == name).values(active=False))


def test_passwd_for_nobody_says_no_such_user(tmp_path, capsys, monkeypatch):
    from core.cli.main import main

    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "x")  # too short, but the user comes first
    assert main(["--data-dir", str(tmp_path / "d"), "users", "passwd", "nobody"]) == 2
    assert "no such user: 'nobody'" in capsys.readouterr().err


def test_users_add_asks_twice(tmp_path, capsys, monkeypatch):
    import getpass
    import sys

    from core.cli.main import main

    answers = iter(["first password", "second password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["--data-dir", str(tmp_path / "d"), "users", "add", "rita", "--role", "reviewer"]) == 2
    assert "differ" in capsys.readouterr().err
    answers = iter(["same password", "same password"])
    assert main(["--data-dir", str(tmp_path / "d"), "users", "add", "rita", "--role", "reviewer"]) == 0


def test_a_merchant_id_for_staff_is_refused_on_every_path(store):
    """The store refuses it, so the Users page and `python -m core users add` agree."""
    for role in ("reviewer", "admin"):
        with pytest.raises(AuthError, match="only merchant accounts have a merchant id"):
            create_user(store, username=f"staff-{role}", password="long enough pw", role=role, merchant_id="acme")


@pytest.mark.parametrize(
    "merchant,msg",
    [
        ("m" * 80, "at most 64 characters \\(this one has 80\\)"),  # PostgreSQL: DataError before
        ("<b>x</b>", "only letters a-z or A-Z, digits"),
        ("**y**", "only letters a-z or A-Z, digits"),
        ('=HYPERLINK("http://x.example")', "only letters a-z or A-Z, digits"),
        ("-x", "starts with a letter or digit"),
        ("acme home", "no spaces"),
        ("acme\nhome", "only letters"),
        ("café", "only letters a-z"),
    ],
)
def test_a_bad_merchant_id_is_refused_with_the_reason(store, merchant, msg):
    with pytest.raises(AuthError, match=msg):
        create_user(store, username="mia", password="long enough pw", role="merchant", merchant_id=merchant)
    create_user(store, username="rita", password="long enough pw", role="reviewer")
    with pytest.raises(AuthError, match=msg):
        set_role(store, username="rita", role="merchant", merchant_id=merchant)
    assert [(u.username, u.role, u.merchant_id) for u in list_users(store)] == [("rita", "reviewer", None)]


def test_a_merchant_id_is_stored_without_surrounding_spaces(store):
    assert check_merchant_id("  acme-home\t") == "acme-home"
    assert check_merchant_id("m") == "m" and check_merchant_id("x" * 64) == "x" * 64
    assert check_merchant_id("Shop_2.eu@north") == "Shop_2.eu@north"
    mia = create_user(store, username="mia", password="long enough pw", role="merchant", merchant_id=" acme-home ")
    assert mia.merchant_id == "acme-home" == get_user(store, "mia").merchant_id
    create_user(store, username="max", password="long enough pw", role="merchant", merchant_id="x" * 64)
    assert get_user(store, "max").merchant_id == "x" * 64  # the longest fits the column (PostgreSQL too)
    with pytest.raises(AuthError, match="cannot be empty"):
        check_merchant_id("   ")


def test_a_user_name_with_a_line_break_is_refused(store):
    with pytest.raises(AuthError, match="user names"):
        create_user(store, username="rita\n", password="long enough pw", role="reviewer")


@pytest.mark.parametrize(
    "username,password,msg",
    [
        ("rita", " " * 8, "cannot be only spaces"),
        ("rita", "\t" * 12, "cannot be only spaces"),
        ("rita", "   abc    ", "at least 8 characters besides spaces at either end"),
        ("margaret", "MARGARET", "cannot be the user name"),
        ("margaret", " Margaret ", "cannot be the user name"),
        ("rita", "my rita pass", "cannot contain the user name"),
        ("Margaret", "margaret-2024!", "cannot contain the user name"),
        ("ann.smith@shop.example", "ann.smith rules", "part before '@'"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(store, username, password, msg):
    with pytest.raises(AuthError, match=msg):
        create_user(store, username=username, password=password, role="reviewer")
    assert list_users(store) == []
    create_user(store, username=username, password="a fine passphrase", role="reviewer")
    with pytest.raises(AuthError, match=msg):
        set_password(store, username=username.upper(), password=password)  # checked against the stored name
    assert authenticate(store, username, "a fine passphrase") is not None


def test_acceptable_passwords_near_the_rules(store):
    assert check_password("  eight ch  ", username="rita") == b"  eight ch  "  # kept as typed
    assert check_password("always a good one", username="al")  # short names: only equality counts
    assert check_password("shop.example rocks", username="ann@shop.example")  # only the name's own part
    create_user(store, username="bob", password="bob password 1", role="reviewer")
    assert authenticate(store, "bob", "bob password 1") is not None  # kept as typed


def test_the_administrator_password_from_the_environment_follows_the_same_rules(store, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "Admin-Pass-1")
    setup = ensure_default_admin(store)
    assert setup.username is None and "cannot contain the user name" in setup.problem
    assert "longer" not in setup.problem  # it is long enough: what to change is the name in it
    assert list_users(store) == []


def _admins(store):
    return sorted(u.username for u in list_users(store) if u.role == "admin" and u.active)


def test_the_last_active_administrator_stays(store):
    create_user(store, username="boss", password="in charge 42", role="admin")
    create_user(store, username="rita", password="correct horse", role="reviewer")
    for refused, doing in (
        (lambda: set_active(store, "boss", False), "disabling it"),
        (lambda: set_role(store, username="boss", role="reviewer"), "making it a reviewer"),
        (lambda: set_role(store, username="BOSS", role="merchant", merchant_id="acme"), "making it a merchant"),
        (lambda: delete_user(store, "boss"), "deleting it"),
    ):
        with pytest.raises(AuthError, match=f"'boss' is the only active administrator; {doing} would leave nobody"):
            refused()
        assert _admins(store) == ["boss"]
    set_role(store, username="boss", role="admin")  # no change: nothing to refuse
    set_active(store, "rita", False)  # other accounts are not held back
    delete_user(store, "rita")
    create_user(store, username="ada", password="correct horse", role="admin")
    set_active(store, "boss", False)  # another active administrator exists
    with pytest.raises(AuthError, match="'ada' is the only active administrator"):
        set_active(store, "ada", False)
    set_role(store, username="boss", role="reviewer")  # a disabled administrator may go
    create_user(store, username="old", password="correct horse", role="admin")
    set_active(store, "old", False)
    delete_user(store, "old")
    assert _admins(store) == ["ada"]


def test_two_administrators_disabling_each_other_at_once_leave_one(store):
    import threading

    for round_ in range(6):
        a, b = f"a{round_}x", f"b{round_}x"
        create_user(store, username=a, password="correct horse", role="admin")
        create_user(store, username=b, password="correct horse", role="admin")
        for name in _admins(store):
            if name not in (a, b):
                set_active(store, name, False)
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def disable(name: str, start: threading.Barrier = start, outcomes: list[str] = outcomes) -> None:
            start.wait()
            try:
                set_active(store, name, False)
                outcomes.append("disabled")
            except AuthError:
                outcomes.append("refused")

        threads = [threading.Thread(target=disable, args=(n,)) for n in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["disabled", "refused"]
        assert len(_admins(store)) == 1
