"""Interchange CSV: any logger's file in the documented shape replays like a recording."""

import numpy as np
import pytest

from smr_sense.core.calibration import forces_n
from smr_sense.core.sim import SimConfig, simulate
from smr_sense.errors import FileFormatError
from smr_sense.recording import RecordingWriter, export_csv, load_any


def test_export_then_import_keeps_the_samples(tmp_path):
    info, block, _ = simulate(SimConfig(seed=3, build="imu"), 30.0)
    with RecordingWriter(tmp_path / "s.smr", info) as w:
        w.append(block)
    rec = load_any(tmp_path / "s.smr")
    written = export_csv(rec, tmp_path / "s.csv")
    assert written == [str(tmp_path / "s.csv")]
    back = load_any(tmp_path / "s.csv")
    assert back.info.has_gyro and back.info.channels[0].unit == "N"
    np.testing.assert_allclose(back.block.t_s, block.t_s, atol=1e-6)
    np.testing.assert_allclose(back.block.raw[:, 0], forces_n(info, block.raw)[:, 0], atol=2e-3)
    np.testing.assert_array_equal(back.block.gyro_dps, block.gyro_dps)  # %.9g keeps float32 exact


def test_hand_written_multichannel_csv(tmp_path):
    path = tmp_path / "logger.csv"
    path.write_text("# from my logger\ntime_s,force_n_0,force_n_1\n0.00,1.5,2.5\n0.01,x,2.4\n")
    with pytest.raises(FileFormatError, match="line 4 has 'x'"):
        load_any(path)
    path.write_text("# from my logger\ntime_s,force_n_0,force_n_1,note\n0.00,1.5,2.5,a\n0.01,,2.4,b\n0.02,1.7,2.3,c\n")
    rec = load_any(path)
    assert [c.name for c in rec.info.channels] == ["force_n_0", "force_n_1"]
    assert rec.info.rate_hz == pytest.approx(100.0)
    assert np.isnan(rec.block.raw[1, 0]) and rec.block.raw[2, 1] == np.float32(2.3)
    assert rec.warnings == [f"{path}: ignoring columns note"]


def test_raw_counts_are_uncalibrated(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("time_s,raw_0\n0,100\n0.0125,101\n")
    rec = load_any(path)
    assert rec.info.channels[0].unit == "count" and rec.info.calibration is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("force_n\n1\n2\n", "no time_s column"),
        ("time_s,gyro_x_dps\n0,1\n", "no force_n"),
        ("time_s,force_n\n", "no samples"),
        ("time_s,force_n\n0,1\n0.02,1\n0.01,1\n", "goes backwards at sample 3"),
        ("time_s,force_n\n0,1\n0,1\n", "repeats at sample 2"),
        ("time_s,force_n\n0,1\n0.01,1,3\n", "line 3 has 3 values"),
        ("time_s,force_n\n0,1\n,1\n", "sample 2 has no time_s"),
    ],
)
def test_bad_csv_gets_one_sentence(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=message):
        load_any(path)


def test_export_refuses_to_overwrite(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("time_s,force_n\n0,1\n0.01,2\n")
    rec = load_any(path)
    (tmp_path / "out.csv").write_text("precious")
    with pytest.raises(FileFormatError, match="already exists"):
        export_csv(rec, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == "precious"
