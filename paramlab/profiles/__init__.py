"""Named parameter profiles: partial sets of generation settings, stored in the ledger database.

The core never imports the WebUI; the adapter passes the running WebUI's names as a
:class:`HostCatalog` and applies profiles with :func:`to_p_values` / :func:`to_override_settings`.
"""

from paramlab.profiles.fileformat import (
    FILE_FORMAT,
    FILE_VERSION,
    ImportEntry,
    ImportReport,
    export_profiles,
    import_profiles,
)
from paramlab.profiles.model import (
    HIRES_KEYS,
    SETTINGS,
    SETTINGS_BY_KEY,
    HostCatalog,
    Profile,
    ProfileError,
    ProfileNotFound,
    SettingChange,
    SettingSpec,
    diff_settings,
    name_key,
    normalise_settings,
    normalise_settings_keep_unknown,
    scope_matches,
    to_api_values,
    to_infotext_params,
    to_override_settings,
    to_p_values,
    unusable_reason,
    validate_name,
)
from paramlab.profiles.starters import STARTER_PROFILES
from paramlab.profiles.stats import ProfileFigures, profile_figures
from paramlab.profiles.store import ProfileStore

__all__ = [
    "FILE_FORMAT", "FILE_VERSION", "HIRES_KEYS", "SETTINGS", "SETTINGS_BY_KEY", "STARTER_PROFILES", "HostCatalog",
    "ImportEntry", "ImportReport", "Profile", "ProfileError", "ProfileFigures", "ProfileNotFound", "ProfileStore",
    "SettingChange", "SettingSpec", "diff_settings", "export_profiles", "import_profiles", "name_key",
    "normalise_settings", "normalise_settings_keep_unknown", "profile_figures", "scope_matches", "to_api_values",
    "to_infotext_params", "to_override_settings", "to_p_values", "unusable_reason", "validate_name",
]
