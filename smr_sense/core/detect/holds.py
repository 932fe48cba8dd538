"""The hold detector: idle / rolling / hold, one sample at a time or a whole recording at once.

Input per sample: contact, the motion cue's ``speed`` (tissue speed in m/s, or a relative force
fluctuation), its tissue position ``pos_m`` when the build can tell it, and whether the force is
``steady``. Two speed levels: below ``stop`` the roller has stopped; above ``move`` it is rolling
(postural sway lives between the two).

- No contact: idle. Contact begins: rolling.
- Rolling, the speed drops below ``stop``: a *candidate* hold starts there (the back-dated start).
  It is confirmed once it has lasted ``confirm_s`` with the force steady. ``confirm_s`` adapts to
  the user's own pace: after a reversal the next stroke needs time to show, and a slow roller's
  stroke needs longer (``confirm_s = confirm_base_s + confirm_travel_m / recent peak speed``,
  clipped), so a reversal pause (up to 0.6 s) never counts. A cue without position waits a fixed
  ``confirm_s`` (or the user's rhythm), shortened to ``quiet_confirm_s`` at the first sample the cue
  marks ``quiet`` (far stiller than a stop needs).
- A cue that can ``redate`` (force alone) finds the start again ``redate_after_s`` after the
  candidate, from the hold's own still stretch (``hold_redated``), before any warning falls due.
- A candidate or a confirmed hold survives *motion episodes* (speed above ``stop``) that are short
  and small: it ends when the speed stays above ``move`` for longer than ``readjust_max_s`` or the
  roller travels more than ``readjust_max_m`` within the episode. Its end is back-dated to the
  episode's start. So postural sway, creep, tremor and re-adjustments (under ~0.3 s, under 1 cm)
  never end a hold; the next stroke does.
- Force alone cannot measure travel, so it takes some re-adjustments for the next stroke. When the
  next hold's back-dated start comes less than ``rejoin_s`` after the last one's end (still again
  within half a second: no stroke is that short), the hold that ended goes on (``hold_continued``,
  with its own start), so its timer and cap run from when the person really stopped.
- Contact lost, or no samples for ``max_gap_s``: any hold ends. A shorter loss of signal (a
  dropped link that comes back) does not: the samples that return are judged as usual, so a person
  still holding keeps the hold and its start (the cap is not put off by the loss), and a motion or
  a lift-off that shows within ``RESUME_JUDGE_S`` of their return began during the loss, so the hold
  ends at the last sample before it.

The implementation walks runs of equal flags, not samples, and finds the moment inside a run where
a time or distance limit is crossed with ``searchsorted``/``argmax``: a one-hour recording has a
few thousand runs, so the Python loop is short, and a block of one sample is a run of one. The
result is identical however the stream is chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.core.detect.window import SpeedHistory
from smr_sense.core.samples import RESUME_GAP_S

IDLE, ROLLING, HOLD = 0, 1, 2
STATE_NAMES = ("idle", "rolling", "hold")
TIME_EPS_S = 1e-9  # stream times are sums of float steps: 20.000000000000004 is 20 s
PEAK_WINDOW_S = 8.0  # "recent" strokes, for the user's pace
SETTLE_S = 0.5  # after contact begins, the cues settle (the centre of pressure jumps on loading)
BACKDATE_S = 6.0  # how far before a candidate a cue's own back-dating may look
# A loss of signal (no samples for RESUME_GAP_S) hides what happened: a stop is not known to have
# lasted through it, a hold's alarms wait for the samples that come back, and ...
RESUME_JUDGE_S = 1.0  # ... an end dated this soon after they return is dated back to the loss


@dataclass(frozen=True)
class HoldRules:
    stop: float  # speed below which the roller has stopped
    move: float  # speed above which it is rolling
    confirm_base_s: float = 0.8
    confirm_travel_m: float = 0.05  # confirm_s = base + travel / recent peak speed ...
    confirm_min_s: float = 1.0  # ... clipped to [min, max]; a cue without position uses max
    confirm_max_s: float = 3.0
    readjust_max_s: float = 0.3  # time above ``move`` that ends a hold
    readjust_max_m: float = 0.015  # travel within one episode that ends a hold
    burst_pair_s: float = 0.0  # no position: a second burst above ``move`` this soon ends a hold
    rhythm_window_s: float = 12.0  # no position: confirm once a stop outlasts the recent bursts' rhythm
    rhythm_factor: float = 1.2
    rhythm_max_s: float = 6.0
    # A cue's ``quiet`` flag (force far stiller than a stop needs) confirms a candidate after this
    # long instead, unless contact began less than ``quiet_after_contact_s`` before the stop: the
    # first strokes after lowering on have not shown how far this user's force swings yet.
    quiet_confirm_s: float = 1.0
    quiet_after_contact_s: float = 8.0
    max_gap_s: float = 10.0  # a loss of signal longer than this ends a hold (a reconnection takes seconds)
    rejoin_s: float = 0.0  # force alone: a hold this soon after the last one's end is that hold going on


@dataclass(frozen=True)
class Transition:
    """Something the detector decided at sample ``index`` (stream time ``t_s``)."""

    index: int
    t_s: float
    # contact_started | rolling_started | hold_started | hold_redated (its start found again) |
    # hold_continued (the last hold goes on) | hold_ended | contact_lost, and around a loss of signal
    # during a hold: hold_suspended (its announcements wait) then hold_resumed or hold_ended
    kind: str
    start_s: float | None = None  # hold_started / hold_redated / hold_ended: the back-dated hold start
    end_s: float | None = None  # hold_ended: the back-dated end; hold_continued: the end it takes back


class HoldDetector:
    def __init__(
        self, rules: HoldRules, cue_delay_s: float = 0.0, adaptive_confirm: bool = True, bursts: bool = False,
        end_delay_s: float | None = None, backdate=None, redate=None, redate_after_s: float = 0.0,
    ) -> None:
        self.rules = rules
        self.cue_delay_s = cue_delay_s
        self.end_delay_s = cue_delay_s if end_delay_s is None else end_delay_s
        # backdate(t, pos, cand_t) -> start_s: where the motion stopped, found in the cue's own record
        # of the recent past (``BACKDATE_S`` before the candidate), instead of a fixed delay.
        self.backdate = backdate
        # redate(t, pos, cand_t) -> start_s | None: the start found again ``redate_after_s`` after the
        # candidate, from a record that now holds the hold's own still stretch (``hold_redated``).
        self.redate = redate
        self.redate_after_s = redate_after_s
        self.redate_at: float | None = None  # when the open hold's start is due to be found again
        self.adaptive_confirm = adaptive_confirm
        self.bursts = bursts
        self.mode = IDLE
        self.hold_start_s: float | None = None  # confirmed hold's back-dated start
        self._ended: tuple[float, float] | None = None  # (start, end) of the hold the last motion ended
        self.cand_t: float | None = None  # candidate: when the speed dropped below ``stop``
        self.confirm_at: float | None = None
        self.armed = False  # rolling: the speed has been above ``stop`` since the last candidate ended
        self.episode_t: float | None = None  # first sample of the current motion episode
        self.episode_x = 0.0  # position just before it
        self.move_since: float | None = None  # first sample of the current stretch above ``move``
        self.last_burst_t: float | None = None  # holding, no position: start of the last burst
        self.contact_t = -np.inf  # when contact (and so this bout of rolling) began
        self.unsteady_t: float | None = None  # holding: where the force stopped being steady, if it has
        self._last_t: float | None = None
        self._last_pos = 0.0
        self._loss: tuple[float, float] | None = None  # the last loss of signal: (last sample before, first after)
        self.judging_until: float | None = None  # a hold back from a loss: resumed if it lasts until then
        self._speeds = SpeedHistory(PEAK_WINDOW_S if backdate is None else PEAK_WINDOW_S + BACKDATE_S)
        self._burst_onsets: list[float] = []  # rolling, no position: when bursts of change began

    def step(
        self, t: np.ndarray, contact: np.ndarray, speed: np.ndarray, pos_m: np.ndarray | None, steady: np.ndarray,
        quiet: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[Transition]]:
        n = t.shape[0]
        state = np.empty(n, dtype=np.int8)
        out: list[Transition] = []
        if n == 0:
            return state, out
        r = self.rules
        self._speeds.add(t, speed, pos_m if self.backdate is not None else None)
        level = (speed >= r.stop).astype(np.int8) + (speed >= r.move)
        lost_first = self._last_t is not None and t[0] - self._last_t > RESUME_GAP_S
        if n == 1:  # the live path, sample by sample: one run
            bounds_list = [0, 1]
            lost_set = {0} if lost_first else set()
        else:
            flags = contact.astype(np.int8) * 8 + level * 2 + steady
            cuts = np.flatnonzero(flags[1:] != flags[:-1]) + 1
            lost = np.flatnonzero(np.diff(t) > RESUME_GAP_S) + 1
            if lost_first:
                lost = np.concatenate([[0], lost])
            bounds_list = np.union1d(np.union1d(cuts, lost), [0, n]).astype(np.int64).tolist()
            lost_set = set(lost.tolist())
        for a, b in zip(bounds_list[:-1], bounds_list[1:]):
            if a in lost_set:
                self._lost(a, t, bool(contact[a]), out)
            if not contact[a]:
                if self.mode != IDLE:
                    self._lose_contact(a, float(t[a]), out)
                self.move_since = None
                state[a:b] = IDLE
                continue
            if steady[a]:
                self.unsteady_t = None
            elif self.unsteady_t is None and self.mode == HOLD:
                self.unsteady_t = float(t[a])
            lvl = int(level[a])
            if self.mode == IDLE:
                ta = float(t[a])
                out.append(Transition(a, ta, "contact_started"))
                out.append(Transition(a, ta, "rolling_started"))
                self.mode = ROLLING
                self.contact_t = ta
                self._burst_onsets = []
                self._reset_candidate()
                self.armed = True  # lowering onto the roller and staying still is a hold too
            new_burst = False
            if lvl == 2:
                if self.move_since is None:
                    self.move_since = float(t[a])
                    new_burst = True
                    if self.mode == ROLLING:
                        self._burst_onsets.append(self.move_since)
            else:
                self.move_since = None
            i = a
            while i < b:
                i = self._run(i, b, lvl, bool(steady[a]), t, pos_m, quiet, state, out, new_burst and i == a)
        self._last_t = float(t[-1])
        if pos_m is not None:
            self._last_pos = float(pos_m[-1])
        self._speeds.trim(self._last_t)
        return state, out

    # --- one stretch [i, b) of equal flags, in the current mode; returns where it stopped ----------

    def _run(
        self, i: int, b: int, lvl: int, steady: bool, t: np.ndarray, pos_m, quiet, state, out, new_burst: bool
    ) -> int:
        due = self.redate_at
        if self.mode != HOLD or due is None or float(t[b - 1]) < due - TIME_EPS_S:
            return self._run_flags(i, b, lvl, steady, t, pos_m, quiet, state, out, new_burst)
        # The start is found again at the first sample at or after ``due``, whatever the chunking.
        k = i + int(np.searchsorted(t[i:b], due - TIME_EPS_S, "left"))
        if k > i:
            j = self._run_flags(i, k, lvl, steady, t, pos_m, quiet, state, out, new_burst)
            if j < k or self.mode != HOLD or self.redate_at is None:
                return j
        self._redate(k, float(t[k]), out)
        return self._run_flags(k, b, lvl, steady, t, pos_m, quiet, state, out, new_burst and k == i)

    def _run_flags(
        self, i: int, b: int, lvl: int, steady: bool, t: np.ndarray, pos_m, quiet, state, out, new_burst: bool
    ) -> int:
        if self.mode == ROLLING and self.cand_t is None:
            if lvl > 0:
                self.armed = True
                state[i:b] = ROLLING
                return b
            if not self.armed:
                state[i:b] = ROLLING
                return b
            self._start_candidate(i, t)
        # A candidate or a hold: both survive short, small motion episodes.
        end = self._episode_end(i, b, lvl, t, pos_m)
        if lvl == 2 and self.bursts:
            # Force alone cannot measure travel: a candidate ends at the first burst of change, a hold
            # at the second one in quick succession (a re-adjustment is one burst; strokes repeat).
            if self.mode == ROLLING:
                end = i
            elif new_burst:
                if self.last_burst_t is not None and self.move_since - self.last_burst_t <= self.rules.burst_pair_s:
                    self.episode_t = self.last_burst_t
                    end = i
                else:
                    self.last_burst_t = self.move_since
        if self.mode == ROLLING:
            confirm = b
            if steady and lvl < 2:
                confirm = i + int(np.searchsorted(t[i:b], self.confirm_at - TIME_EPS_S, "left"))
                if quiet is not None and self.cand_t - self.contact_t >= self.rules.quiet_after_contact_s:
                    soon = self.cand_t + self.rules.quiet_confirm_s - TIME_EPS_S
                    ready = np.flatnonzero(quiet[i:confirm] & (t[i:confirm] >= soon))
                    if ready.size:
                        confirm = i + int(ready[0])
                if lvl == 1 and pos_m is not None and confirm < end:
                    # Not in the middle of what may be the next stroke getting going.
                    calm = np.flatnonzero(np.abs(pos_m[confirm:end] - self.episode_x) < 0.5 * self.rules.readjust_max_m)
                    confirm = confirm + int(calm[0]) if calm.size else b
            if end < b and end <= confirm:
                state[i:end] = ROLLING
                self._reset_candidate()
                self.armed = True
                return end
            if confirm < b:
                state[i:confirm] = ROLLING
                self._confirm(confirm, t, out)
                return confirm
            state[i:b] = ROLLING
            return b
        if self.judging_until is not None:
            # Back after a loss of signal: the hold is on trial until ``judging_until``.
            judged = i + int(np.searchsorted(t[i:b], self.judging_until - TIME_EPS_S, "left"))
            if judged < b and judged < end:
                state[i:judged] = HOLD
                self.judging_until = None
                out.append(Transition(judged, float(t[judged]), "hold_resumed", start_s=self.hold_start_s))
                return judged
        if end < b:
            state[i:end] = HOLD
            t_end = max(self.episode_t - self.end_delay_s, self.hold_start_s)
            ended = self._end_hold(end, float(t[end]), self._before_loss(t_end), out)
            self._ended = (float(ended.start_s), float(ended.end_s))  # it may yet go on (``rejoin_s``)
            out.append(Transition(end, float(t[end]), "rolling_started"))
            self.mode = ROLLING
            self._reset_candidate()
            self.armed = True
            return end
        state[i:b] = HOLD
        return b

    def _episode_end(self, i: int, b: int, lvl: int, t: np.ndarray, pos_m) -> int:
        """Index in [i, b) where the current motion episode ends the candidate / hold, else b."""
        r = self.rules
        if lvl == 0:
            self.episode_t = None
            return b
        if self.episode_t is None:
            self.episode_t = float(t[i])
            self.episode_x = float(pos_m[i - 1]) if (pos_m is not None and i > 0) else self._last_pos
        end = b
        if lvl == 2 and self.move_since is not None:
            end = i + int(np.searchsorted(t[i:b], self.move_since + r.readjust_max_s + TIME_EPS_S, "left"))
        if pos_m is not None:
            far = np.flatnonzero(np.abs(pos_m[i:end] - self.episode_x) > r.readjust_max_m)
            if far.size:
                end = i + int(far[0])
        return end

    def _start_candidate(self, i: int, t: np.ndarray) -> None:
        r = self.rules
        ti = float(t[i])
        self.cand_t = ti
        confirm_s = r.confirm_max_s
        if self.adaptive_confirm:
            # The pace of this bout's strokes; right after contact (lowering on) there is none yet.
            peak = self._speeds.peak(max(ti - PEAK_WINDOW_S, self.contact_t + SETTLE_S), ti)
            if peak > 0:
                confirm_s = min(r.confirm_max_s, max(r.confirm_min_s, r.confirm_base_s + r.confirm_travel_m / peak))
        elif self.bursts:
            # Force alone: a stop is a hold once it outlasts the pauses of the user's own rhythm.
            recent = [x for x in self._burst_onsets if x >= ti - r.rhythm_window_s]
            self._burst_onsets = recent
            if len(recent) >= 2:
                gap = max(np.diff(recent).max(), ti - recent[-1])
                confirm_s = min(r.rhythm_max_s, max(r.confirm_max_s, r.rhythm_factor * float(gap)))
            if ti - self.contact_t < r.quiet_after_contact_s:
                # Just lowered on: this user's pace (and how still their rolling can look) is not
                # known yet, so the stop waits as long as the slowest rhythm would.
                confirm_s = max(confirm_s, r.rhythm_max_s)
        self.confirm_at = ti + confirm_s
        self.episode_t = None

    def _confirm(self, k: int, t: np.ndarray, out: list[Transition]) -> None:
        if self.backdate is not None:
            start = self.backdate(*self._speeds.positions(self.cand_t - BACKDATE_S, self.cand_t), self.cand_t)
        else:
            start = self.cand_t - self.cue_delay_s
        start = max(start, self.contact_t)
        self.mode = HOLD
        self.last_burst_t = None
        ended, self._ended = self._ended, None
        if ended is not None and self.rules.rejoin_s > 0 and start - ended[1] < self.rules.rejoin_s:
            # Still again this soon: the motion was a re-adjustment, not a stroke to a new spot. The
            # hold goes on from its own start (already dated again when it ended: no re-dating due).
            self.hold_start_s = ended[0]
            out.append(Transition(k, float(t[k]), "hold_continued", start_s=ended[0], end_s=ended[1]))
            return
        self.hold_start_s = start
        if self.redate is not None:
            self.redate_at = self.cand_t + self.redate_after_s
            if float(t[k]) >= self.redate_at - TIME_EPS_S:  # confirmed late: found again right away
                self._redate(k, float(t[k]), [])
        out.append(Transition(k, float(t[k]), "hold_started", start_s=self.hold_start_s))

    def _redate(self, index: int, t_s: float, out: list[Transition]) -> None:
        self.redate_at = None
        # As far back as the cue may date the start, plus its slope's lag.
        found = self.redate(*self._speeds.positions(self.cand_t - BACKDATE_S - 0.5, t_s), self.cand_t)
        if found is not None and max(found, self.contact_t) != self.hold_start_s:
            self.hold_start_s = max(found, self.contact_t)
            out.append(Transition(index, t_s, "hold_redated", start_s=self.hold_start_s))

    def _reset_candidate(self) -> None:
        self.cand_t = None
        self.confirm_at = None
        self.episode_t = None
        self.armed = False

    def _lost(self, a: int, t: np.ndarray, contact_back: bool, out: list[Transition]) -> None:
        """Sample ``a`` comes after a loss of signal: what was going on cannot be vouched for across it."""
        before = self._last_t if a == 0 else float(t[a - 1])
        back = float(t[a])
        self._loss = (before, back)
        self._ended = None  # what happened in the loss is not known: the next hold is a new one
        if self.mode == HOLD and back - before <= self.rules.max_gap_s:
            # The hold's warning and cap wait until the samples show it went on (``hold_resumed``).
            if self.judging_until is None:
                out.append(Transition(a, back, "hold_suspended", start_s=self.hold_start_s))
            self.judging_until = back + RESUME_JUDGE_S
            # A re-adjustment under way when the samples stopped is judged on those that return:
            # timed across the loss, any twitch would outlast ``readjust_max_s`` and end the hold.
            self.move_since = None
            self.episode_t = None
        elif contact_back:
            # A hold past ``max_gap_s`` ends; a stop that began before the loss is not known to
            # have lasted through it.
            self.interrupt(a, back, before, out)
        # else nobody is on the roller when the samples return: the hold ends as a loss of contact
        # (dated to the last sample before the loss), with no moment of rolling between.

    def _before_loss(self, end_s: float) -> float:
        """A hold's end as judged from the samples, or the last sample before a loss of signal when
        the end shows this soon after the samples came back (it happened while none arrived)."""
        if self._loss is not None and self.hold_start_s is not None:
            before, after = self._loss
            if before <= end_s < after + RESUME_JUDGE_S:
                return max(before, self.hold_start_s)
        return end_s

    def _end_hold(self, index: int, t_s: float, end_s: float, out: list[Transition]) -> Transition:
        if self.redate_at is not None:  # a short hold: its start is found again from all it showed
            self._redate(index, t_s, out)
            end_s = max(end_s, self.hold_start_s)
        out.append(Transition(index, t_s, "hold_ended", start_s=self.hold_start_s, end_s=end_s))
        self.hold_start_s = None
        self.judging_until = None
        self.episode_t = None
        return out[-1]

    def leave(self, index: int, t_s: float, out: list[Transition]) -> None:
        """The person is off the roller from ``t_s`` whatever the force says (calibrating): as a loss of contact."""
        if self.mode != IDLE:
            self._lose_contact(index, t_s, out)

    def _lose_contact(self, index: int, t_s: float, out: list[Transition]) -> None:
        if self.mode == HOLD:
            end = self.episode_t if self.episode_t is not None else t_s
            if self.unsteady_t is not None:  # lifting off: the hold ended as the weight came off
                end = min(end, self.unsteady_t)
            self._end_hold(index, t_s, self._before_loss(max(end, self.hold_start_s)), out)
        out.append(Transition(index, t_s, "contact_lost"))
        self.mode = IDLE
        self._ended = None  # lifting off ends a hold for good
        self._reset_candidate()

    def interrupt(self, index: int, t_s: float, last_t: float, out: list[Transition]) -> None:
        """End any hold at ``last_t`` (the last sample before a gap or a disconnect), announced at ``t_s``.

        What follows is judged afresh from ``t_s``: still weight on a still roller is a new hold from there.
        """
        if self.mode == HOLD:
            end = max(last_t, self.hold_start_s if self.hold_start_s is not None else last_t)
            self._end_hold(index, t_s, end, out)
            self.mode = ROLLING
            out.append(Transition(index, t_s, "rolling_started"))
        if self.mode == ROLLING:
            self._reset_candidate()
            self.armed = True
            self.contact_t = t_s
        self._ended = None
