"""Device profiles: the built-in data agrees with the wire constants, matching and commands."""

import pytest

from smr_sense.core.wire import protocol, tindeq
from smr_sense.core.wire.tindeq import tindeq_stream_info
from smr_sense.devices import ProfileError, builtin_profiles, get_profile, known_service_uuids, match_advertisement


def test_builtin_uuids_are_the_wire_protocols():
    ref = get_profile("reference", "ble").ble
    assert (ref.service_uuid, ref.notify_uuid, ref.write_uuid) == (
        protocol.BLE_SERVICE_UUID, protocol.BLE_DATA_UUID, protocol.BLE_COMMAND_UUID,
    )  # fmt: skip
    for name in ("nus", "nus-binary", "nus-text"):
        nus = get_profile(name).ble
        assert (nus.service_uuid, nus.notify_uuid, nus.write_uuid) == (
            protocol.NUS_SERVICE_UUID, protocol.NUS_TX_UUID, protocol.NUS_RX_UUID,
        )  # fmt: skip
    t = get_profile("tindeq")
    assert (t.ble.service_uuid, t.ble.notify_uuid, t.ble.write_uuid) == (
        tindeq.TINDEQ_SERVICE_UUID, tindeq.TINDEQ_DATA_UUID, tindeq.TINDEQ_CONTROL_UUID,
    )  # fmt: skip
    assert {k: v[0] for k, v in t.commands.items()} == tindeq.TINDEQ_COMMANDS
    wire_info = tindeq_stream_info("ble:x", "x")
    assert t.channels == wire_info.channels and t.rate_hz == wire_info.rate_hz


def test_every_profile_is_reachable_and_names_are_unique():
    names = [p.name for p in builtin_profiles()]
    assert len(names) == len(set(names))
    assert {"reference", "nus", "nus-binary", "nus-text", "tindeq", "text", "auto"} <= set(names)
    assert known_service_uuids() == [protocol.BLE_SERVICE_UUID, protocol.NUS_SERVICE_UUID, tindeq.TINDEQ_SERVICE_UUID]


@pytest.mark.parametrize(
    "name, uuids, expected",
    [
        ("SMR-Roller-2", [], "reference"),
        ("anything", [protocol.BLE_SERVICE_UUID.upper()], "reference"),
        ("Progressor_1234", [], "tindeq"),
        ("MyRoller", [protocol.NUS_SERVICE_UUID], "nus"),
        ("SMR-Roller-2", [protocol.NUS_SERVICE_UUID], "nus"),  # the service says more than the name
        ("Kettle", ["0000fff0-0000-1000-8000-00805f9b34fb"], None),
        (None, [], None),
    ],
)
def test_advertisements_point_to_profiles(name, uuids, expected):
    found = match_advertisement(name, uuids)
    assert (found.name if found else None) == expected


def test_commands_encode_per_profile_or_say_what_there_is():
    assert get_profile("tindeq").encode_command("start") == b"\x65"
    assert get_profile("reference").encode_command("set_rate", rate_hz=50.0, token=3) == protocol_frame(
        "set_rate", 3, 50.0
    )
    with pytest.raises(ProfileError, match=r"^the text profile has no command 'tare' \(it takes: none\)$"):
        get_profile("text").encode_command("tare")
    with pytest.raises(ProfileError, match=r"^the command 'set_rate' needs rate_hz$"):
        get_profile("reference").encode_command("set_rate")
    with pytest.raises(ProfileError, match="does not work over serial; use one of"):
        get_profile("tindeq", "serial")


def protocol_frame(name, token, rate):
    from smr_sense.core.wire import encode_command

    return encode_command(name, token=token, rate_hz=rate)
