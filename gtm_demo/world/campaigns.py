"""The marketing calendar: HubSpot e-mails and forms; Salesforce events, webinars, syndication."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import DAY, FORMS, HOUR
from gtm_demo.world.sampling import slugify


class MarketingCalendar:
    """Part of `World` (the generation run): its methods below."""

    def _email_campaigns(self) -> None:
        """Two marketing e-mails a month, at fixed times; their size follows the contact base."""
        rows, self.email_campaigns = [], []
        for k in range(48):
            sent = self.start + 7 * DAY + k * 15 * DAY + 14 * HOUR
            kind = ("Newsletter", "Product update", "Webinar invite", "Report promotion")[k % 4]
            day = datetime.fromtimestamp(sent, UTC).date()
            name = f"{kind} {day.isoformat()}"
            subject = f"{kind}: what revenue teams measure in {day:%B %Y}"
            campaign = {
                "id": 310_000_000 + k,
                "sent": sent,
                "name": name,
                "subject": subject,
                "slug": slugify(name).replace("-", "_"),
                "path": ref.SITE_PAGES[5 + k % 5][0],
            }
            self.email_campaigns.append(campaign)
            rows.append(
                {
                    "id": campaign["id"],
                    "app_id": 113,
                    "app_name": "Batch",
                    "name": name,
                    "subject": subject,
                    "type": "BATCH_EMAIL",
                    "sent_at": sent,
                    "_version_at": sent,
                }
            )
        self.out.rows_of("hubspot/email_campaigns", rows)
        self.email_sent = np.array([c["sent"] for c in self.email_campaigns], np.int64)

    def _forms_and_campaigns(self) -> None:
        rng = self.prng("forms")
        self.forms = []
        rows = []
        for key, name, path in FORMS:
            guid = "-".join(f"{rng.getrandbits(b):0{b // 4}x}" for b in (32, 16, 16, 16, 48))
            self.forms.append({"key": key, "guid": guid, "name": name, "path": path})
            created = self.start - 60 * DAY
            rows.append(
                {
                    "guid": guid,
                    "name": name,
                    "form_type": "hubspot",
                    "created_at": created,
                    "_version_at": created,
                }
            )
        self.out.rows_of("hubspot/forms", rows)
        # Salesforce campaigns: webinars, events and content syndication, evenly over history.
        n = 36  # the event calendar does not grow with the contact base
        rng = self.prng("sf_campaigns")
        self.sf_campaigns, rows = [], []
        for k in range(n):
            kind = ("Webinar", "Content Syndication", "Event", "Webinar", "Webinar")[k % 5]
            start_day = int((k + 0.5) * (self.days - 20) / n)
            length = 90 if kind == "Content Syndication" else (2 if kind == "Event" else 1)
            campaign_id = self.ids.salesforce("Campaign")
            start_ts = self.start + start_day * DAY
            camp = {
                "id": campaign_id,
                "kind": kind,
                "start": start_ts + 16 * HOUR,
                "end_day": start_day + length - 1,
            }
            self.sf_campaigns.append(camp)
            created = start_ts - 30 * DAY
            budget = rng.randrange(5, 60) * 100_000
            base = {
                "Id": campaign_id,
                "Type": kind,
                "Status": "Planned",
                "Name": f"{kind} {k + 1:03d}: "
                + rng.choice(
                    (
                        "Attribution in practice",
                        "RevOps summit",
                        "Forecasting deep dive",
                        "Pipeline council",
                        "Analyst briefing",
                    )
                ),
                "StartDate": start_ts // DAY,
                "EndDate": start_ts // DAY + length - 1,
                "BudgetedCost": budget,
                "ActualCost": None,
                "IsActive": True,
                "OwnerId": self.marketers[k % len(self.marketers)]["id"],
                "IsDeleted": False,
                "CreatedDate": created,
            }
            changes = [
                (start_ts, {"Status": "In Progress"}),
                (
                    start_ts + length * DAY,
                    {
                        "Status": "Completed",
                        "IsActive": False,
                        "ActualCost": budget * rng.randrange(70, 115) // 100,
                    },
                ),
            ]
            self._sf_versions("Campaign", base, changes)
        self.campaign_start = np.array([c["start"] for c in self.sf_campaigns], np.int64)
        self.event_campaigns = np.array(
            [i for i, c in enumerate(self.sf_campaigns) if c["kind"] != "Content Syndication"]
        )
        self.syndication_campaigns = np.array(
            [i for i, c in enumerate(self.sf_campaigns) if c["kind"] == "Content Syndication"]
        )
