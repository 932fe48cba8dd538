"""The pure core: sample model, decoding, calibration, detection and session logic.

Nothing under ``smr_sense.core`` imports asyncio, bleak, serial or textual, or reads the wall clock:
it is synchronous, deterministic code fed stream time (``tests/test_core_purity.py`` checks this).
"""
