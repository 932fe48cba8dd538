"""Device profiles (what a roller model looks like on a link) and the pure per-link stream logic."""

from smr_sense.devices.profiles import (
    BleLayout,
    DeviceProfile,
    ProfileError,
    builtin_profiles,
    get_profile,
    known_service_uuids,
    match_advertisement,
    match_services,
    profile_names,
)

__all__ = [
    "BleLayout",
    "DeviceProfile",
    "ProfileError",
    "builtin_profiles",
    "get_profile",
    "known_service_uuids",
    "match_advertisement",
    "match_services",
    "profile_names",
]
