"""From propensity to outcome: opportunity, MQL and SQL dates, wins, and each deal's plan."""

from __future__ import annotations

import math

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    CYCLE_BASE_DAYS,
    CYCLE_EXPONENT,
    DAY,
    DEAL_BASE,
    DEAL_CAP,
    DEAL_SIZE_EXPONENT,
    FIT_COEF,
    HOUR,
    INTENT_COEF,
    INTERCEPT,
    MQL_INTERCEPT,
    MQL_TO_SQL,
    OPP_LOST,
    OPP_STAGES,
    OPP_WON,
    WIN_FIT_COEF,
    WIN_INTERCEPT,
    WIN_SIZE_COEF,
)
from gtm_demo.world.sampling import sigmoid


class Funnel:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _outcomes(self) -> None:
        """Draw true propensity from fit, intent and touches; then outcome and funnel dates."""
        w, rng, n = self.w, self.rng, self.n
        channels = [*list(ref.WEB_CHANNELS), "email"]
        logit = INTERCEPT + FIT_COEF * self.fit + INTENT_COEF * self.intent
        for c, name in enumerate(channels):
            touches = np.bincount(self.s_person[self.s_channel == c], minlength=n)
            logit = logit + ref.CHANNELS[name]["true_effect"] * np.log1p(touches)
        attended = self.e_attended
        syndicated = np.isin(self.e_campaign, w.syndication_campaigns)
        for name, mask in (
            ("events_webinars", attended & ~syndicated),
            ("content_syndication", syndicated),
        ):
            touches = np.bincount(self.e_person[mask], minlength=n)
            logit = logit + ref.CHANNELS[name]["true_effect"] * np.log1p(touches)
        self.propensity = sigmoid(logit)
        converts = rng.random(n) < self.propensity
        # Conversion follows most of the person's touches.
        self.opp_at = np.full(n, -1, np.int64)
        starts = np.searchsorted(self.s_person, np.arange(n))
        ends = np.searchsorted(self.s_person, np.arange(n), side="right")
        delay = rng.integers(DAY, 14 * DAY, n)
        for i in np.nonzero(converts)[0]:
            times = self.s_time[starts[i] : ends[i]]
            times = times[times > self.known_at[i]]
            anchor = (
                times[math.ceil(0.75 * len(times)) - 1]
                if len(times)
                else (self.known_at[i] + 30 * DAY)
            )
            at = max(anchor, self.known_at[i] + 2 * DAY) + delay[i]
            if at < w.end - DAY:
                self.opp_at[i] = at
        converted = self.opp_at >= 0
        self.mql_at = np.full(n, -1, np.int64)
        self.sql_at = np.full(n, -1, np.int64)
        span = np.maximum(self.opp_at - self.known_at, 2 * DAY)
        self.mql_at[converted] = (self.known_at + span * rng.uniform(0.2, 0.6, n))[converted]
        self.sql_at[converted] = (self.known_at + span * rng.uniform(0.7, 0.95, n))[converted]
        mql = ~converted & (
            rng.random(n) < sigmoid(MQL_INTERCEPT + 0.8 * self.intent + 0.4 * self.fit)
        )
        mql_at = self.known_at + rng.exponential(40 * DAY, n).astype(np.int64) + HOUR
        mql &= mql_at < w.end
        self.mql_at[mql] = mql_at[mql]
        sql = mql & (rng.random(n) < MQL_TO_SQL)
        sql_at = self.mql_at + rng.exponential(20 * DAY, n).astype(np.int64) + HOUR
        sql &= sql_at < w.end
        self.sql_at[sql] = sql_at[sql]
        size = np.log10(w.company_employees[self.company_of] / 100)
        win_logit = WIN_INTERCEPT + WIN_FIT_COEF * self.fit + WIN_SIZE_COEF * size
        self.won = converted & (rng.random(n) < sigmoid(win_logit))

    def _opportunity(self, i: int) -> dict:
        """Plan one opportunity: stages over time, amount, contacts on it."""
        w, p = self.w, self.prng
        company = int(self.company_of[i])
        created = int(self.opp_at[i])
        employees = int(w.company_employees[company])
        # Annual contract value in cents, whole hundreds of dollars, growing with company size.
        dollars = DEAL_BASE * (employees / 100) ** DEAL_SIZE_EXPONENT * p.lognormvariate(0, 0.35)
        amount = int(round(min(dollars, DEAL_CAP), -2)) * 100
        # The sales cycle lengthens with the deal; its stages share it in random proportions.
        cycle = CYCLE_BASE_DAYS * (amount / 1_000_000) ** CYCLE_EXPONENT * p.lognormvariate(0, 0.3)
        shares = [p.uniform(0.5, 1.5) for _ in range(len(OPP_STAGES))]
        gaps = [max(1, round(cycle * share / sum(shares))) * DAY for share in shares]
        stages, at = [], created
        lost_at_stage = None if self.won[i] else p.randrange(1, len(OPP_STAGES) + 1)
        for k, stage in enumerate(OPP_STAGES):
            if k > 0:
                at += gaps[k - 1]
            stages.append((at, stage, amount))
            if k == 3 and p.random() < 0.3:
                amount = int(round(amount * p.uniform(0.8, 1.2), -4))
                stages.append((at + HOUR, stage, amount))
            if lost_at_stage == k + 1:
                break
        at += gaps[-1]
        final = OPP_WON if self.won[i] else OPP_LOST
        stages.append((at, final, amount))
        closed = at < w.end
        self.opp_close[i] = (at, bool(self.won[i]) and closed)
        if self.won[i] and closed:
            self.customer_at[company] = min(self.customer_at.get(company, w.end), at)
        contacts = [(self.sf_contact[i][0], "Decision Maker", True, created)]
        colleagues = [
            j
            for j in range(self.n)
            if j != i
            and self.company_of[j] == company
            and self.sf_contact[j] is not None
            and self.sf_contact[j][1] < created
        ]
        for j in colleagues[: p.randrange(0, 3)]:
            contacts.append(
                (
                    self.sf_contact[j][0],
                    p.choice(("Influencer", "Evaluator", "Economic Buyer")),
                    False,
                    created + p.randrange(1, 10) * DAY,
                )
            )
        campaign = None
        mine = self.e_campaign[(self.e_person == i) & (self.e_time < created) & self.e_attended]
        if len(mine):
            campaign = w.sf_campaigns[int(mine[-1])]["id"]
        return {
            "person": i,
            "id": self.opp_id[i],
            "company": company,
            "created": created,
            "stages": stages,
            "contacts": {c[0]: c for c in contacts},
            "campaign": campaign,
            "deleted": (created + p.randrange(2, 40) * DAY)
            if not self.won[i] and p.random() < 0.005
            else None,
            "expected_close": created + 90 * DAY,
            "name": w.company_name[company],
        }
