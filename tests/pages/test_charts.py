import pandas as pd

from core.vocabulary import ISSUE_NAMES
from pages.common.charts import ISSUE_ROW_PX, issue_bar


def test_issue_chart_keeps_every_label_with_thousands_of_images():
    counts = pd.Series({name: 2400 - 150 * i for i, name in enumerate(ISSUE_NAMES)})
    fig = issue_bar(counts)
    assert list(fig.layout.yaxis.tickvals) == [str(n) for n in reversed(ISSUE_NAMES)]  # one tick per bar
    assert fig.layout.yaxis.tickmode == "array"
    assert fig.layout.height >= ISSUE_ROW_PX * len(ISSUE_NAMES)  # room for every label
