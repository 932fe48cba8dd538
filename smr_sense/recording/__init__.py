"""Recordings: the crash-safe binary session file, interchange CSV, and loading either."""

from smr_sense.recording.csv_export import export_csv, write_csv
from smr_sense.recording.csvio import read_interchange_csv
from smr_sense.recording.reader import Recording, load_any, load_recording, truth_path
from smr_sense.recording.writer import RecordingExistsError, RecordingWriter

__all__ = [
    "Recording",
    "RecordingExistsError",
    "RecordingWriter",
    "export_csv",
    "write_csv",
    "load_any",
    "load_recording",
    "read_interchange_csv",
    "truth_path",
]
