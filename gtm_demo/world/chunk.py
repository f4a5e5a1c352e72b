"""A chunk of companies and their people, generated and written as one unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gtm_demo.world.funnel import Funnel
from gtm_demo.world.identity import Identities
from gtm_demo.world.model import HOUR, KNOWN_VIA
from gtm_demo.world.render_hubspot import HubSpotRenderer
from gtm_demo.world.render_salesforce import SalesforceRenderer
from gtm_demo.world.simulate import Journeys
from gtm_demo.world.truth_people import PeopleTruth

if TYPE_CHECKING:
    from gtm_demo.world.generation import World


class Chunk(
    Journeys,
    Funnel,
    Identities,
    SalesforceRenderer,
    HubSpotRenderer,
    PeopleTruth,
):
    """People of one chunk of companies: their journeys, CRM records and events."""

    def __init__(self, world: World, index: int, company_of: np.ndarray) -> None:
        self.w = world
        self.index = index
        self.company_of = company_of
        self.n = len(company_of)
        self.first_person = world.person_offset
        world.person_offset += self.n
        self.rng = world.rng("people", index)
        self.prng = world.prng("people", index)
        self.opp_close: dict[int, tuple[int, bool]] = {}
        self.hs_email: dict[int, tuple[str, str, str, str]] = {}

    def run(self) -> None:
        """Simulate the chunk's people, then write their records and events."""
        if self.n == 0:
            return
        self._attributes()
        self._touches()
        self._emails()
        self._outcomes()
        self._records()
        self._web_events()
        self._email_events()

    def _records(self) -> None:
        """Salesforce and HubSpot records of every person, company and opportunity."""
        w, _p = self.w, self.prng
        n = self.n
        self.hs_contact = [None] * n
        self.sf_contact: list[tuple[str, int] | None] = [None] * n
        lead_of: list[tuple[str, int] | None] = [None] * n
        people = []
        for i in range(n):
            people.append(self._person_identity(i))
        # Salesforce lead: created at MQL (synced from HubSpot) or at the event; sales-sourced
        # people get a contact straight away.
        plans = []
        for i in range(n):
            via = KNOWN_VIA[self.known_via[i]]
            lead_at = None
            if via in ("event", "syndication"):
                lead_at = int(self.known_at[i])
            elif via != "sales" and self.mql_at[i] >= 0:
                lead_at = int(self.mql_at[i]) + 600
            convert_at = None
            if lead_at is not None:
                if self.opp_at[i] >= 0:
                    convert_at = max(int(self.opp_at[i]), lead_at + HOUR)
                elif self.sql_at[i] >= 0:
                    convert_at = max(int(self.sql_at[i]), lead_at + HOUR)
            contact_at = int(self.known_at[i]) if via == "sales" else convert_at
            if convert_at is not None and convert_at >= w.end:
                convert_at = contact_at = None
            plans.append((lead_at, convert_at, contact_at))
        # Accounts and companies exist a minute before their first contact (HubSpot creates the
        # company from the contact's domain), so no association points at a company not yet there.
        account_at: dict[int, int] = {}
        hs_company_at: dict[int, int] = {}
        for i in range(n):
            company = int(self.company_of[i])
            if plans[i][2] is not None:
                account_at[company] = min(account_at.get(company, w.end), plans[i][2] - 60)
            if self.has_hubspot[i] and not self.free_mail[i]:
                hs_company_at[company] = min(
                    hs_company_at.get(company, w.end), int(self.known_at[i]) - 60
                )
        self.account_id = {c: w.ids.salesforce("Account") for c in sorted(account_at)}
        self.hs_company_at = hs_company_at
        self.hs_company_id = {
            c: w.ids.hubspot("company", 5_000_000_000) for c in sorted(hs_company_at)
        }
        self.customer_at: dict[int, int] = {}
        # Opportunities (with ids now, so converted leads can name them).
        self.opp_id = {
            i: w.ids.salesforce("Opportunity")
            for i in range(n)
            if self.opp_at[i] >= 0 and plans[i][2] is not None
        }
        for i in range(n):
            lead_at, convert_at, contact_at = plans[i]
            company = int(self.company_of[i])
            if contact_at is not None:
                self.sf_contact[i] = (w.ids.salesforce("Contact"), contact_at)
            if lead_at is not None and lead_at < w.end:
                lead_of[i] = (w.ids.salesforce("Lead"), lead_at)
            if self.has_hubspot[i]:
                self.hs_contact[i] = w.ids.hubspot("contact", 100)
        self.opportunities: list[dict] = []
        for i in sorted(self.opp_id):
            self.opportunities.append(self._opportunity(i))
        for i in range(n):
            self._emit_person(i, people[i], plans[i], lead_of[i])
        self._emit_accounts(account_at)
        self._emit_hubspot_companies(hs_company_at)
        for opp in self.opportunities:
            self._emit_opportunity(opp)
        self._campaign_members(lead_of)
        self._truth_people(people)
