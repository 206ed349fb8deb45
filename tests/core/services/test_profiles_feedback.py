import dataclasses

import pandas as pd
import pytest

from core.services.feedback import MIN_EACH, decision_balance
from core.services.profiles import ProfileError, get_profile, profile_names, save_and_rescore
from core.store.queries import list_images


def test_enough_decisions_on_each_side():
    few = decision_balance(pd.DataFrame({"decision": ["approved"] * MIN_EACH + ["rejected"] * (MIN_EACH - 1)}))
    assert (few.approved, few.not_approved, few.enough) == (MIN_EACH, MIN_EACH - 1, False)
    mixed = decision_balance(pd.DataFrame({"decision": ["approved"] * MIN_EACH + ["rejected", "needs_changes"] * 3}))
    assert (mixed.not_approved, mixed.enough) == (6, True)


def test_a_saved_profile_is_listed_and_scores_everything(seeded):
    base = get_profile(seeded, "generic")
    tuned = dataclasses.replace(base, name="generic-tuned", title="Tuned")
    name, n = save_and_rescore(seeded, tuned)
    assert name == "generic-tuned" and n == len(list_images(seeded, kind=None))
    assert not seeded.profiles_dir.exists()  # in the database, shared by every app server
    assert profile_names(seeded)[-1] == "generic-tuned"
    assert all(r.score is not None for r in list_images(seeded, profile="generic-tuned"))
    with pytest.raises(ProfileError, match="built-in"):
        save_and_rescore(seeded, base)
