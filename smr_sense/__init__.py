"""smr_sense: host app for instrumented foam rollers (self-myofascial release)."""

__version__ = "0.1.0"
