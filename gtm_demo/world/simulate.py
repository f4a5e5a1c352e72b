"""Who people are and what they do: attributes, web sessions by channel, ad clicks, e-mail."""

from __future__ import annotations

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    ACTIVE_MEDIAN_DAYS,
    ACTIVE_MIN_DAYS,
    ACTIVE_RATE_BOOST,
    ACTIVE_SIGMA,
    DAY,
    FORMS,
    HOUR,
    KNOWN_VIA,
    KNOWN_VIA_P,
    PRODUCT_INTEREST,
    VISIT_GAP,
)
from gtm_demo.world.sampling import sigmoid


class Journeys:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _attributes(self) -> None:
        w, rng, n = self.w, self.rng, self.n
        sen_weights = np.array([s[2] for s in ref.SENIORITIES])
        self.seniority = rng.choice(len(ref.SENIORITIES), n, p=sen_weights / sen_weights.sum())
        sen_fit = np.array([ref.SENIORITIES[s][1] for s in self.seniority])
        self.fit = w.company_fit[self.company_of] + sen_fit + rng.normal(0, 0.4, n)
        self.intent = rng.normal(0, 1, n)
        self.known_via = rng.choice(len(KNOWN_VIA), n, p=KNOWN_VIA_P)
        self.known_at = rng.integers(w.start, w.end - 3 * DAY, n)
        self.known_campaign = np.full(n, -1)
        # Event-sourced people become known at the event they attend.
        for via, pool in ((2, w.event_campaigns), (3, w.syndication_campaigns)):
            mask = self.known_via == via
            if mask.any() and len(pool):
                starts = w.campaign_start[pool]
                pos = np.clip(np.searchsorted(starts, self.known_at[mask]), 0, len(pool) - 1)
                self.known_at[mask] = np.minimum(
                    starts[pos] + rng.integers(0, HOUR, mask.sum()), w.end - DAY
                )
                self.known_campaign[np.nonzero(mask)[0]] = pool[pos]
        self.has_hubspot = self.known_via != 4
        self.free_mail = rng.random(n) < 0.10
        self.first = rng.integers(0, len(ref.FIRST_NAMES), n)
        self.last = rng.integers(0, len(ref.LAST_NAMES), n)
        self.title = [self.prng.choice(ref.SENIORITIES[s][3]) for s in self.seniority]
        self.person_id = np.arange(self.first_person, self.first_person + n, dtype=np.int64)
        self.interest = rng.integers(0, len(PRODUCT_INTEREST), n)

    def _touches(self) -> None:
        """Web sessions by channel, forms and event attendance in each person's active period.

        The period runs from 45 days before the person became known to the end of their research
        (log-normal length after becoming known), cut at the as-of date.
        """
        w, rng, n = self.w, self.rng, self.n
        active = np.maximum(ACTIVE_MEDIAN_DAYS * rng.lognormal(0, ACTIVE_SIGMA, n), ACTIVE_MIN_DAYS)
        self.active_end = np.minimum(self.known_at + (active * DAY).astype(np.int64), w.end)
        window_start = np.maximum(self.known_at - 45 * DAY, w.start)
        span_days = (self.active_end - window_start) / DAY
        boost = np.exp(0.5 * self.intent) * ACTIVE_RATE_BOOST
        person, when, channel, form = [], [], [], []
        for c, name in enumerate(ref.WEB_CHANNELS):
            k = rng.poisson(ref.CHANNELS[name]["rate_per_30d"] * span_days / 30 * boost)
            who = np.repeat(np.arange(n), k)
            person.append(who)
            when.append(rng.integers(window_start[who], self.active_end[who]))
            channel.append(np.full(len(who), c))
            form.append(np.full(len(who), -1))
        web_p = np.array([ref.CHANNELS[name]["rate_per_30d"] for name in ref.WEB_CHANNELS])
        # The form that made a person known, and later forms.
        first_form = np.nonzero(self.known_via == 0)[0]
        later = rng.poisson(0.018 * span_days / 30 * boost * self.has_hubspot)
        later_who = np.repeat(np.arange(n), later)
        later_when = rng.integers(self.known_at[later_who] + HOUR, self.active_end[later_who])
        form_who = np.concatenate([first_form, later_who])
        person.append(form_who)
        when.append(np.concatenate([self.known_at[first_form], later_when]))
        channel.append(rng.choice(len(web_p), len(form_who), p=web_p / web_p.sum()))
        form.append(
            np.concatenate(
                [
                    rng.choice([0, 1, 2], len(first_form), p=[0.35, 0.2, 0.45]),
                    rng.choice(len(FORMS), len(later_who), p=[0.15, 0.1, 0.3, 0.15, 0.3]),
                ]
            )
        )
        self.s_person = np.concatenate(person)
        self.s_time = np.concatenate(when)
        self.s_channel = np.concatenate(channel)
        self.s_form = np.concatenate(form)
        self._assign_ads()
        # Event and webinar attendance after becoming known (and the one that made them known).
        pool = w.event_campaigns
        k = rng.poisson(0.02 * span_days / 30 * boost)
        who = np.repeat(np.arange(n), k)
        if len(pool):
            starts = w.campaign_start[pool]
            first_ok = np.searchsorted(starts, self.known_at[who])
            last_ok = np.searchsorted(starts, self.active_end[who])
            keep = first_ok < last_ok
            who, first_ok, last_ok = who[keep], first_ok[keep], last_ok[keep]
            pick = pool[first_ok + (rng.random(len(who)) * (last_ok - first_ok)).astype(int)]
        else:
            who, pick = who[:0], who[:0]
        known = np.nonzero(self.known_campaign >= 0)[0]
        self.e_person = np.concatenate([known, who])
        self.e_campaign = np.concatenate([self.known_campaign[known], pick]).astype(np.int64)
        self.e_time = np.concatenate(
            [self.known_at[known], w.campaign_start[pick] + rng.integers(0, HOUR, len(pick))]
        )
        self.e_attended = np.concatenate([np.ones(len(known), bool), rng.random(len(pick)) < 0.55])
        order = np.lexsort((self.e_time, self.e_person))
        for name in ("e_person", "e_campaign", "e_time", "e_attended"):
            setattr(self, name, getattr(self, name)[order])

    def _assign_ads(self) -> None:
        """Give each paid session an ad running that day.

        A paid session on a day no campaign of its platform runs moves to the nearest day one
        does, so paid touches per person do not depend on how many campaigns there are (and so on
        scale); a platform with no campaign at all has no paid sessions.
        """
        w, rng = self.w, self.rng
        self.s_ad = np.full(len(self.s_person), -1)
        for c, name in enumerate(ref.WEB_CHANNELS):
            platform = ref.CHANNELS[name]["platform"]
            if platform is None:
                continue
            spec = w.ads[platform]
            idx = np.nonzero(self.s_channel == c)[0]
            day = (self.s_time[idx] - w.start) // DAY
            target = spec["nearest_covered_day"][day]
            self.s_time[idx] += (target - day) * DAY
            lo, hi = spec["offsets"][target], spec["offsets"][target + 1]
            pick = lo + (rng.random(len(idx)) * (hi - lo)).astype(np.int64)
            self.s_ad[idx] = spec["by_day"][pick]

    def _emails(self) -> None:
        """Marketing e-mail sends to subscribed HubSpot contacts, and what each recipient did."""
        w, rng, n = self.w, self.rng, self.n
        sent = w.email_sent
        m = len(sent)
        hs_created = self.known_at + np.where(self.known_via >= 2, HOUR, 0)
        subscribed = self.has_hubspot & (rng.random(n) < 0.92)
        eligible = (
            subscribed[:, None]
            & (sent[None, :] > hs_created[:, None])
            & (rng.random((n, m)) < 0.55)
        )
        bounce = rng.random((n, m)) < 0.03
        p_open = sigmoid(-0.9 + 0.5 * self.intent)[:, None]
        opened = ~bounce & (rng.random((n, m)) < p_open)
        clicked = opened & (rng.random((n, m)) < sigmoid(-1.7 + 0.5 * self.intent)[:, None])
        unsub = opened & ~clicked & (rng.random((n, m)) < 0.012)
        # Nothing is sent after an unsubscribe.
        stopped = np.cumsum(eligible & unsub, axis=1) - (eligible & unsub)
        sends = eligible & (stopped == 0)
        person, camp = np.nonzero(sends)
        self.m_person, self.m_campaign = person, camp
        self.m_bounce = bounce[person, camp]
        self.m_open = opened[person, camp]
        self.m_click = clicked[person, camp]
        self.m_unsub = unsub[person, camp]
        k = len(person)
        self.m_sent_at = sent[camp] + rng.integers(0, 1800, k)
        self.m_open_at = self.m_sent_at + rng.integers(300, 3 * DAY, k)
        self.m_click_at = self.m_open_at + rng.integers(5, 600, k)
        # Clicks open a web session on the e-mail's landing page.
        clicks = np.nonzero(self.m_click & (self.m_click_at < w.end))[0]
        email_channel = len(ref.WEB_CHANNELS)
        self.s_person = np.concatenate([self.s_person, person[clicks]])
        self.s_time = np.concatenate([self.s_time, self.m_click_at[clicks] + 2])
        self.s_channel = np.concatenate([self.s_channel, np.full(len(clicks), email_channel)])
        self.s_form = np.concatenate([self.s_form, np.full(len(clicks), -1)])
        self.s_ad = np.concatenate([self.s_ad, np.full(len(clicks), -1)])
        self.s_email = np.concatenate([np.full(len(self.s_person) - len(clicks), -1), camp[clicks]])
        order = np.lexsort((self.s_time, self.s_person))
        for name in ("s_person", "s_time", "s_channel", "s_form", "s_ad", "s_email"):
            setattr(self, name, getattr(self, name)[order])
        self._keep_visits_apart()
        self._count_ad_clicks()

    def _keep_visits_apart(self) -> None:
        """Drop a plain visit that starts within VISIT_GAP of the same person's previous visit.

        A web-analytics session ends after 30 minutes without a page view and a visit here lasts
        up to about half an hour, so two visits closer than that are one session in any warehouse:
        the truth keeps one. Form and e-mail-click visits stay (their events are tied to them).
        """
        time, person = self.s_time, self.s_person
        plain = (self.s_form < 0) & (self.s_email < 0)
        keep = np.ones(len(time), bool)
        close = np.nonzero((np.diff(time) < VISIT_GAP) & (person[1:] == person[:-1]))[0] + 1
        for i in close:
            j = i - 1
            while j >= 0 and not keep[j]:
                j -= 1
            if j < 0 or person[j] != person[i] or time[i] - time[j] >= VISIT_GAP:
                continue
            if plain[i]:
                keep[i] = False
            elif plain[j]:
                keep[j] = False
        for name in ("s_person", "s_time", "s_channel", "s_form", "s_ad", "s_email"):
            setattr(self, name, getattr(self, name)[keep])

    def _count_ad_clicks(self) -> None:
        """Every paid session is a click the ad platform counts, on the account's local date."""
        w = self.w
        for c, name in enumerate(ref.WEB_CHANNELS):
            platform = ref.CHANNELS[name]["platform"]
            if platform is None:
                continue
            idx = np.nonzero((self.s_channel == c) & (self.s_ad >= 0) & (self.s_time < w.end))[0]
            ads = w.ads[platform]["ads"]
            zones = np.array([ads[a]["campaign"]["account"][3] for a in self.s_ad[idx]], object)
            for zone in sorted(set(zones.tolist())):
                sel = idx[zones == zone]
                day = w.local_day(zone, self.s_time[sel])
                np.add.at(w.ads[platform]["identified_clicks"], (self.s_ad[sel], day + 1), 1)
