"""Cost against quality: Pareto fronts, knees, recommendations and paired comparisons.

Works on a pandas DataFrame (one row per image, see :mod:`paramlab.analysis.frame`); never
imports the WebUI.
"""

from paramlab.analysis.frame import (
    COST_COLUMNS,
    FRAME_COLUMNS,
    GROUP_COLUMNS,
    LOWER_IS_BETTER,
    MEASURE_COLUMNS,
    SETTING_COLUMNS,
    composite_quality,
    describe_setting,
)
from paramlab.analysis.load import load_frame
from paramlab.analysis.paired import PairedResult, paired_comparison
from paramlab.analysis.pareto import (
    GroupReport,
    ParetoReport,
    Recommendation,
    SettingSummary,
    SummaryList,
    analyse,
    cheapest_within,
    knee,
    pareto_front,
    summarise_settings,
)

__all__ = [
    "COST_COLUMNS", "FRAME_COLUMNS", "GROUP_COLUMNS", "LOWER_IS_BETTER", "MEASURE_COLUMNS", "SETTING_COLUMNS",
    "GroupReport",
    "PairedResult", "ParetoReport", "Recommendation", "SettingSummary", "SummaryList", "analyse",
    "cheapest_within", "composite_quality", "describe_setting", "knee", "load_frame", "paired_comparison",
    "pareto_front", "summarise_settings",
]
