"""The truth about a chunk's people and every touch they had, visible or not."""

from __future__ import annotations

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import KNOWN_VIA


class PeopleTruth:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _truth_people(self, people: list[dict]) -> None:
        w = self.w
        opp = self.opp_at >= 0
        w._pending["truth/people"].extend(
            {
                "person_id": int(self.person_id[i]),
                "company_id": people[i]["company"],
                "first_name": people[i]["first"],
                "last_name": people[i]["last"],
                "email": people[i]["email"],
                "phone_e164": people[i]["e164"],
                "country_code": people[i]["country"].iso2,
                "title": self.title[i],
                "seniority": ref.SENIORITIES[self.seniority[i]][0],
                "fit": float(self.fit[i]),
                "intent": float(self.intent[i]),
                "propensity": float(self.propensity[i]),
                "known_at": int(self.known_at[i]),
                "known_via": KNOWN_VIA[self.known_via[i]],
                "mql_at": int(self.mql_at[i]) if self.mql_at[i] >= 0 else None,
                "sql_at": int(self.sql_at[i]) if self.sql_at[i] >= 0 else None,
                "became_opportunity": bool(opp[i] and i in self.opp_id),
                "opportunity_created_at": int(self.opp_at[i]) if i in self.opp_id else None,
                "is_won": bool(self.opp_close.get(i, (0, False))[1]),
            }
            for i in range(self.n)
        )
        channels = [*list(ref.WEB_CHANNELS), "email"]
        ads_flat = {pl: spec["ads"] for pl, spec in w.ads.items()}
        w._pending["truth/touches"].extend(
            {
                "person_id": int(self.person_id[self.s_person[k]]),
                "touched_at": int(self.s_time[k]),
                "channel": channels[self.s_channel[k]],
                "ad_id": None
                if self.s_ad[k] < 0
                else ads_flat[ref.CHANNELS[channels[self.s_channel[k]]]["platform"]][self.s_ad[k]][
                    "id"
                ],
            }
            for k in range(len(self.s_person))
            if self.s_time[k] < w.end
        )
        syndicated = np.isin(self.e_campaign, w.syndication_campaigns)
        w._pending["truth/touches"].extend(
            {
                "person_id": int(self.person_id[self.e_person[k]]),
                "touched_at": int(self.e_time[k]),
                "channel": "content_syndication" if syndicated[k] else "events_webinars",
                "ad_id": None,
            }
            for k in range(len(self.e_person))
            if self.e_attended[k] and self.e_time[k] < w.end
        )
