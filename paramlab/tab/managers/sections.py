"""The Profiles and Series managers of the ParamLab tab (the same page in the WebUI and in
``python -m paramlab serve``): list, edit, duplicate, delete, export and import. Both are the one
named-document manager (:mod:`paramlab.tab.managers.documents`) given a kind.

Each ``build_*`` function builds into the open ``gr.Blocks`` and returns :class:`ManagerComponents`;
the lead refreshes them on tab select with ``demo/tab.select(m.refresh, outputs=m.outputs)``.
The handlers are plain module-level functions (first argument the ledger) that never raise.
"""

from __future__ import annotations

from paramlab.seeds.series_file import SERIES_FORMAT, SERIES_VERSION, SeriesImportReport, export_series, import_series
from paramlab.tab.managers.common import CONFLICT_CHOICES, ManagerComponents
from paramlab.tab.managers.profiles import (
    PROFILE_HEADERS,
    build_profiles_manager,
    delete_profile,
    duplicate_profile,
    export_profiles_file,
    import_profiles_file,
    parse_settings,
    profiles_frame,
    refresh_profiles,
    save_profile_as_new,
    save_profile_changes,
    select_profile,
)
from paramlab.tab.managers.series import (
    SERIES_HEADERS,
    build_series_manager,
    delete_series,
    export_series_file,
    import_series_file,
    refresh_series,
    save_series_as_new,
    save_series_changes,
    select_series,
    series_image_counts,
)

__all__ = [
    "CONFLICT_CHOICES", "PROFILE_HEADERS", "SERIES_FORMAT", "SERIES_HEADERS", "SERIES_VERSION", "ManagerComponents",
    "SeriesImportReport", "build_profiles_manager", "build_series_manager", "delete_profile", "delete_series",
    "duplicate_profile", "export_profiles_file", "export_series", "export_series_file", "import_profiles_file",
    "import_series", "import_series_file", "parse_settings", "profiles_frame", "refresh_profiles", "refresh_series",
    "save_profile_as_new", "save_profile_changes", "save_series_as_new", "save_series_changes", "select_profile",
    "select_series", "series_image_counts",
]
