"""Detection: contact and auto-zero (``contact``), motion cues per sensor build (``cues``), the
idle / rolling / hold state machine (``holds``), on chunking-exact moving windows (``window``)."""
