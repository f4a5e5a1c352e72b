"""Salesforce records of a chunk: leads, contacts, accounts, opportunities, activities, members."""

from __future__ import annotations

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    DAY,
    HOUR,
    KNOWN_VIA,
    LEAD_SOURCE,
    OPP_LOST,
    OPP_STAGES,
    OPP_WON,
    PRODUCT_INTEREST,
)


class SalesforceRenderer:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _emit_person(self, i: int, person: dict, plan: tuple, lead: tuple | None) -> None:
        w, p, d = self.w, self.prng, self.w.defects
        _lead_at, convert_at, _contact_at = plan
        company = person["company"]
        pid = int(self.person_id[i])
        title = self.title[i]
        via = KNOWN_VIA[self.known_via[i]]
        interest = PRODUCT_INTEREST[self.interest[i]]
        owner_sdr = w.sdrs[(pid // 7) % len(w.sdrs)]["id"]
        owner_ae = w.aes[company % len(w.aes)]["id"]
        opp = self.opp_id.get(i)
        # --- HubSpot contact(s) ---
        if self.hs_contact[i] is not None:
            self._hubspot_contact(i, person, interest)
        # --- Salesforce lead ---
        if lead is not None:
            lead_id, created = lead
            spelled = self._spell(person, "salesforce.Lead")
            company_name = w.company_name[company]
            if p.random() < 0.015:
                company_name = None
                d["null_required_fields"]["salesforce.Lead.Company"] += 1
            changes = [(created + p.randrange(DAY, 5 * DAY), {"Status": "Working - Contacted"})]
            converted_by = None
            if convert_at is not None:
                converted_by = convert_at
                changes.append(
                    (
                        convert_at,
                        {
                            "Status": "Closed - Converted",
                            "IsConverted": True,
                            "ConvertedDate": convert_at // DAY,
                            "ConvertedAccountId": self.account_id[company],
                            "ConvertedContactId": self.sf_contact[i][0],
                            "ConvertedOpportunityId": opp if self.opp_at[i] >= 0 else None,
                        },
                    )
                )
            elif p.random() < 0.5:
                changes.append(
                    (created + p.randrange(60, 180) * DAY, {"Status": "Closed - Not Converted"})
                )
            deleted = None
            if converted_by is None and p.random() < 0.01:
                deleted = created + p.randrange(1, 120) * DAY
            w._sf_versions(
                "Lead",
                {
                    "Id": lead_id,
                    "FirstName": person["first"],
                    "LastName": person["last"],
                    "Email": spelled["email"],
                    "Company": company_name,
                    "Title": title,
                    "Phone": spelled["phone"],
                    "Country": spelled["country"],
                    "Status": "Open - Not Contacted",
                    "LeadSource": LEAD_SOURCE[via],
                    "IsConverted": False,
                    "OwnerId": owner_sdr,
                    "CreatedDate": created,
                    "_interest": interest,
                },
                changes,
                deleted,
            )
            w._truth_record("salesforce", "Lead", lead_id, pid, company)
            self._tasks(lead_id, None, created, owner_sdr, p.randrange(0, 4))
        # --- Salesforce contact ---
        if self.sf_contact[i] is not None:
            contact_id, created = self.sf_contact[i]
            spelled = self._spell(person, "salesforce.Contact")
            last = person["last"]
            if p.random() < 0.005:
                last = None
                d["null_required_fields"]["salesforce.Contact.LastName"] += 1
            on_opportunity = any(contact_id in o["contacts"] for o in self.opportunities)
            deleted = None
            if not on_opportunity and p.random() < 0.005:
                deleted = created + p.randrange(1, 120) * DAY
            w._sf_versions(
                "Contact",
                {
                    "Id": contact_id,
                    "AccountId": self.account_id[company],
                    "FirstName": person["first"],
                    "LastName": last,
                    "Email": spelled["email"],
                    "Title": title,
                    "Phone": spelled["phone"],
                    "MailingCountry": spelled["country"],
                    "LeadSource": LEAD_SOURCE[via],
                    "OwnerId": owner_ae,
                    "CreatedDate": created,
                },
                [],
                deleted,
            )
            w._truth_record("salesforce", "Contact", contact_id, pid, company)

    def _emit_accounts(self, account_at: dict[int, int]) -> None:
        """Salesforce accounts, from their first contact; customers become `Type = Customer`."""
        w, p = self.w, self.prng
        for company, created in sorted(account_at.items()):
            website = w.company_domain[company]
            website = p.choice(
                (f"https://www.{website}/", f"http://{website}", website, f"www.{website}")
            )
            changes = []
            if company in self.customer_at:
                changes.append((self.customer_at[company], {"Type": "Customer"}))
            name = w.company_name[company]
            w._sf_versions(
                "Account",
                {
                    "Id": self.account_id[company],
                    "Name": name,
                    "Website": website,
                    "Industry": ref.INDUSTRIES[w.company_industry[company]].salesforce,
                    "NumberOfEmployees": int(w.company_employees[company]),
                    "AnnualRevenue": int(w.company_revenue_cents[company]),
                    "BillingCountry": p.choice(
                        (
                            ref.COUNTRIES[w.company_country[company]].name,
                            ref.COUNTRIES[w.company_country[company]].iso2,
                        )
                    ),
                    "Type": "Prospect",
                    "OwnerId": w.aes[company % len(w.aes)]["id"],
                    "CreatedDate": created,
                },
                changes,
            )
            w._truth_record("salesforce", "Account", self.account_id[company], None, company)

    def _emit_opportunity(self, opp: dict) -> None:
        w, p = self.w, self.prng
        i = opp["person"]
        owner = w.aes[opp["company"] % len(w.aes)]["id"]
        deleted = opp["deleted"] if opp["deleted"] and opp["deleted"] < w.end else None
        first_at, first_stage, first_amount = opp["stages"][0]
        base = {
            "Id": opp["id"],
            "AccountId": self.account_id[opp["company"]],
            "Name": f"{opp['name']} - New Business",
            "StageName": first_stage[0],
            "Amount": first_amount,
            "CloseDate": opp["expected_close"] // DAY,
            "Probability": float(first_stage[1]),
            "IsClosed": False,
            "IsWon": False,
            "ForecastCategory": first_stage[2],
            "LeadSource": LEAD_SOURCE[KNOWN_VIA[self.known_via[i]]],
            "CampaignId": opp["campaign"],
            "Type": "New Business",
            "OwnerId": owner,
            "CreatedDate": first_at,
        }
        if p.random() < 0.01:
            base["Amount"] = None
            w.defects["null_required_fields"]["salesforce.Opportunity.Amount"] += 1
        null_amount = base["Amount"] is None
        changes, history = [], []
        for at, stage, amount in opp["stages"]:
            closed = stage in (OPP_WON, OPP_LOST)
            update = {
                "StageName": stage[0],
                "Probability": float(stage[1]),
                "ForecastCategory": stage[2],
                "IsClosed": closed,
                "IsWon": stage is OPP_WON,
            }
            if not null_amount:
                update["Amount"] = amount
            if closed:
                update["CloseDate"] = at // DAY
            changes.append((at, update))
            if at < w.end and (deleted is None or at < deleted):
                history.append(
                    (
                        at,
                        stage,
                        None if null_amount else amount,
                        (at // DAY) if closed else opp["expected_close"] // DAY,
                    )
                )
        w._sf_versions("Opportunity", base, changes[1:], deleted)
        for at, stage, amount, close_day in history:
            w._sf_versions(
                "OpportunityHistory",
                {
                    "Id": w.ids.salesforce("OpportunityHistory"),
                    "OpportunityId": opp["id"],
                    "StageName": stage[0],
                    "Amount": amount,
                    "CloseDate": close_day,
                    "Probability": float(stage[1]),
                    "ForecastCategory": stage[2],
                    "ExpectedRevenue": None if amount is None else amount * stage[1] // 100,
                    "CreatedById": owner,
                    "CreatedDate": at,
                },
                [],
                deleted,
            )
        for contact_id, role, primary, at in opp["contacts"].values():
            w._sf_versions(
                "OpportunityContactRole",
                {
                    "Id": w.ids.salesforce("OpportunityContactRole"),
                    "OpportunityId": opp["id"],
                    "ContactId": contact_id,
                    "Role": role,
                    "IsPrimary": primary,
                    "CreatedDate": at,
                },
                [],
                deleted,
            )
        self._tasks(self.sf_contact[i][0], opp["id"], first_at, owner, p.randrange(1, 6))
        # Meetings follow the deal: a discovery call when it opens, a demo at needs analysis.
        meetings = [("Discovery call", first_at)]
        meetings += [
            ("Product demo", at) for at, stage, _ in opp["stages"] if stage is OPP_STAGES[2]
        ]
        for subject, after in meetings:
            start = (after // DAY + p.randrange(1, 6)) * DAY + 15 * HOUR
            if start >= w.end or (deleted is not None and start >= deleted):
                continue
            w._sf_versions(
                "Event",
                {
                    "Id": w.ids.salesforce("Event"),
                    "WhoId": self.sf_contact[i][0],
                    "WhatId": opp["id"],
                    "Subject": subject,
                    "Type": "Meeting",
                    "StartDateTime": start,
                    "EndDateTime": start + 45 * 60,
                    "ActivityDate": start // DAY,
                    "OwnerId": owner,
                    "IsArchived": False,
                    # Booked two days ahead, but never before the deal and its contact exist.
                    "CreatedDate": max(start - 2 * DAY, after + HOUR),
                },
                [],
            )
        self._emit_deal(opp, base, deleted)

    def _tasks(self, who: str, what: str | None, after: int, owner: str, count: int) -> None:
        w, p = self.w, self.prng
        for _ in range(count):
            created = after + p.randrange(HOUR, 20 * DAY)
            if created >= w.end:
                continue
            due = created + p.randrange(0, 5) * DAY
            changes = []
            if due < w.end:
                changes.append((due + 2 * HOUR, {"Status": "Completed"}))
            deleted = created + p.randrange(1, 30) * DAY if p.random() < 0.01 else None
            w._sf_versions(
                "Task",
                {
                    "Id": w.ids.salesforce("Task"),
                    "WhoId": who,
                    "WhatId": what,
                    "Subject": p.choice(("Call", "Follow-up email", "Send proposal", "Intro call")),
                    "Type": p.choice(("Call", "Email")),
                    "Status": "Not Started",
                    "ActivityDate": due // DAY,
                    "OwnerId": owner,
                    "IsArchived": False,
                    "CreatedDate": created,
                },
                changes,
                deleted,
            )

    def _campaign_members(self, lead_of: list) -> None:
        """Campaign membership of people with a Salesforce lead or contact at the time.

        A person who registers twice for one campaign gets two members (a defect Salesforce's
        own uniqueness rule would refuse, but sync tools and imports create): the manifest counts
        every member beyond the first of a campaign and lead or contact.
        """
        w, _p = self.w, self.prng
        members: set[tuple[str, str]] = set()
        for k in range(len(self.e_person)):
            i = int(self.e_person[k])
            at = int(self.e_time[k])
            lead, contact = lead_of[i], self.sf_contact[i]
            who_contact = contact is not None and contact[1] <= at
            who_lead = lead is not None and lead[1] <= at + HOUR
            if not (who_contact or who_lead):
                continue
            campaign = w.sf_campaigns[int(self.e_campaign[k])]
            responded = bool(self.e_attended[k])
            status = (
                ("Responded" if campaign["kind"] == "Content Syndication" else "Attended")
                if responded
                else "Registered"
            )
            lead_id = None if who_contact else lead[0]
            contact_id = contact[0] if who_contact else None
            record_created = contact[1] if who_contact else lead[1]
            created = max(at - 7 * DAY, record_created) if responded else at
            member = (campaign["id"], lead_id or contact_id)
            if member in members:
                w.defects["duplicate_campaign_members"]["salesforce.CampaignMember"] += 1
            members.add(member)
            w._sf_versions(
                "CampaignMember",
                {
                    "Id": w.ids.salesforce("CampaignMember"),
                    "CampaignId": campaign["id"],
                    "LeadId": lead_id,
                    "ContactId": contact_id,
                    "LeadOrContactId": lead_id or contact_id,
                    "Status": status,
                    "HasResponded": responded,
                    "FirstRespondedDate": at // DAY if responded else None,
                    "CreatedDate": created,
                },
                [],
            )
