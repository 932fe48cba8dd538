"""The hold detector: idle / rolling / hold, one sample at a time or a whole recording at once.

Per sample the rules are simple (DOMAIN.md):

- no contact: idle. Contact begins: rolling.
- rolling, and the motion cue says still: remember when the stillness began. Once it has lasted
  ``confirm_s`` (longer than any stroke reversal), the hold is confirmed and its start is back-dated
  to when the motion stopped (minus the cue's own smoothing delay).
- holding, and the cue says moving: a motion episode begins. It ends the hold only once it has
  lasted longer than ``readjust_max_s`` or carried the roller further than ``readjust_max_m``;
  the hold's end is then back-dated to the episode's start. Shorter, smaller episodes are
  re-adjustments and the hold goes on.
- contact lost, or no samples for ``max_gap_s``: any hold ends at the last sample before.

The implementation walks runs of equal (contact, moving) flags, not samples, and finds the moments
inside a run where a time or distance limit is crossed with ``searchsorted``: a one-hour recording
has a few thousand runs, so the Python loop is short, and a block of one sample is a run of one.
The result is identical however the stream is chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDLE, ROLLING, HOLD = 0, 1, 2
STATE_NAMES = ("idle", "rolling", "hold")
TIME_EPS_S = 1e-9  # stream times are sums of float steps: 20.000000000000004 is 20 s


@dataclass(frozen=True)
class HoldRules:
    confirm_s: float = 1.2
    readjust_max_s: float = 0.3
    readjust_max_m: float = 0.01
    max_gap_s: float = 2.0


@dataclass(frozen=True)
class Transition:
    """Something the detector decided at sample ``index`` (stream time ``t_s``)."""

    index: int
    t_s: float
    kind: str  # contact_started | rolling_started | hold_started | hold_ended | contact_lost
    start_s: float | None = None  # hold_started / hold_ended: the back-dated hold start
    end_s: float | None = None  # hold_ended: the back-dated end


class HoldDetector:
    def __init__(self, rules: HoldRules, cue_delay_s: float = 0.0) -> None:
        self.rules = rules
        self.cue_delay_s = cue_delay_s
        self.mode = IDLE
        self.still_since: float | None = None  # rolling: first still sample of the current stillness
        self.last_moving_t = -np.inf  # last sample the cue called moving (or contact began)
        self.hold_start_s: float | None = None
        self.episode_start: float | None = None  # holding: first moving sample of the current episode
        self.episode_x0 = 0.0
        self._last_t: float | None = None
        self._last_pos = 0.0

    def step(
        self, t: np.ndarray, contact: np.ndarray, moving: np.ndarray, pos_m: np.ndarray | None
    ) -> tuple[np.ndarray, list[Transition]]:
        n = t.shape[0]
        state = np.empty(n, dtype=np.int8)
        out: list[Transition] = []
        if n == 0:
            return state, out
        flags = contact.astype(np.int8) * 2 + (moving & contact)
        cuts = np.flatnonzero(flags[1:] != flags[:-1]) + 1
        gaps = np.flatnonzero(np.diff(t) > self.rules.max_gap_s) + 1
        if self._last_t is not None and t[0] - self._last_t > self.rules.max_gap_s:
            gaps = np.concatenate([[0], gaps])
        bounds = np.union1d(np.union1d(cuts, gaps), [0, n]).astype(np.int64)
        gap_set = set(gaps.tolist())
        prev_pos = self._last_pos
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            if a in gap_set:
                self._gap(a, t, out)
            c, mv = bool(contact[a]), bool(moving[a]) and bool(contact[a])
            if not c:
                if self.mode != IDLE:
                    self._lose_contact(a, float(t[a]), out)
                state[a:b] = IDLE
            else:
                if self.mode == IDLE:
                    ta = float(t[a])
                    out.append(Transition(a, ta, "contact_started"))
                    out.append(Transition(a, ta, "rolling_started"))
                    self.mode = ROLLING
                    self.still_since = None
                    self.last_moving_t = ta
                if self.mode == ROLLING:
                    self._rolling_run(a, b, t, mv, state, out)
                else:
                    x_before = float(pos_m[a - 1]) if (pos_m is not None and a > 0) else prev_pos
                    self._hold_run(a, b, t, mv, pos_m, x_before, state, out)
        self._last_t = float(t[-1])
        if pos_m is not None:
            self._last_pos = float(pos_m[-1])
        return state, out

    def _rolling_run(self, a: int, b: int, t: np.ndarray, mv: bool, state: np.ndarray, out: list[Transition]) -> None:
        if mv:
            self.still_since = None
            self.last_moving_t = float(t[b - 1])
            state[a:b] = ROLLING
            return
        if self.still_since is None:
            self.still_since = float(t[a])
        k = a + int(np.searchsorted(t[a:b], self.still_since + self.rules.confirm_s - TIME_EPS_S, "left"))
        state[a:k] = ROLLING
        if k < b:
            start = max(self.still_since - self.cue_delay_s, self.last_moving_t)
            self.mode = HOLD
            self.hold_start_s = start
            self.episode_start = None
            out.append(Transition(k, float(t[k]), "hold_started", start_s=start))
            state[k:b] = HOLD

    def _hold_run(
        self, a: int, b: int, t: np.ndarray, mv: bool, pos_m: np.ndarray | None, x_before: float,
        state: np.ndarray, out: list[Transition],
    ) -> None:
        if not mv:
            self.episode_start = None
            state[a:b] = HOLD
            return
        if self.episode_start is None:
            self.episode_start = float(t[a])
            self.episode_x0 = x_before
        k = a + int(np.searchsorted(t[a:b], self.episode_start + self.rules.readjust_max_s + TIME_EPS_S, "left"))
        if pos_m is not None:
            far = np.flatnonzero(np.abs(pos_m[a:b] - self.episode_x0) > self.rules.readjust_max_m)
            if far.size:
                k = min(k, a + int(far[0]))
        state[a:k] = HOLD
        if k < b:
            end = max(self.episode_start - self.cue_delay_s, self.hold_start_s or -np.inf)
            self._end_hold(k, float(t[k]), end, out)
            out.append(Transition(k, float(t[k]), "rolling_started"))
            self.mode = ROLLING
            self.still_since = None
            self.last_moving_t = float(t[b - 1])
            state[k:b] = ROLLING

    def _end_hold(self, index: int, t_s: float, end_s: float, out: list[Transition]) -> None:
        out.append(Transition(index, t_s, "hold_ended", start_s=self.hold_start_s, end_s=end_s))
        self.hold_start_s = None
        self.episode_start = None

    def _lose_contact(self, index: int, t_s: float, out: list[Transition]) -> None:
        if self.mode == HOLD:
            end = self.episode_start if self.episode_start is not None else t_s
            self._end_hold(index, t_s, end, out)
        out.append(Transition(index, t_s, "contact_lost"))
        self.mode = IDLE
        self.still_since = None

    def _gap(self, index: int, t: np.ndarray, out: list[Transition]) -> None:
        """No samples for longer than ``max_gap_s``: a hold cannot be vouched for across it."""
        last_t = self._last_t if index == 0 else float(t[index - 1])
        if last_t is None:
            return
        self.interrupt(index, float(t[index]), last_t, out)

    def interrupt(self, index: int, t_s: float, last_t: float, out: list[Transition]) -> None:
        """End any hold at ``last_t`` (the last sample before a gap or a disconnect), announced at ``t_s``."""
        if self.mode == HOLD:
            end = max(last_t, self.hold_start_s if self.hold_start_s is not None else last_t)
            out.append(Transition(index, t_s, "hold_ended", start_s=self.hold_start_s, end_s=end))
            self.hold_start_s = None
            self.episode_start = None
            self.mode = ROLLING
            out.append(Transition(index, t_s, "rolling_started"))
        self.still_since = None
        self.last_moving_t = t_s
