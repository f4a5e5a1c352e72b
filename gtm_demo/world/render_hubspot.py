"""HubSpot records of a chunk: contacts, companies, deals, page views, forms, e-mail events."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    DAY,
    FORMS,
    HOUR,
    HS_SOURCE,
    KNOWN_VIA,
    OPP_LOST,
    OPP_WON,
    PLATFORM_UTM,
)
from gtm_demo.world.sampling import looks_valid


class HubSpotRenderer:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _hubspot_contact(self, i: int, person: dict, interest: str) -> None:
        w, p, d = self.w, self.prng, self.w.defects
        contact_id = self.hs_contact[i]
        pid = int(self.person_id[i])
        company = person["company"]
        via = KNOWN_VIA[self.known_via[i]]
        created = int(self.known_at[i]) + (HOUR if via in ("event", "syndication") else 0)
        no_email = p.random() < 0.005
        if no_email:
            d["null_required_fields"]["hubspot.contacts.email"] += 1
        spelled = self._spell(person, "hubspot.contacts", no_email)
        email = spelled["email"]
        first_channel = None
        mine = np.nonzero(self.s_person == i)[0]
        if len(mine):
            first_channel = ([*list(ref.WEB_CHANNELS), "email"])[self.s_channel[mine[0]]]
        stage = "subscriber" if via == "import" else "lead"
        base = {
            "id": contact_id,
            "email": email,
            "firstname": person["first"],
            "lastname": person["last"],
            "jobtitle": self.title[i],
            "phone": spelled["phone"],
            "country": spelled["country"],
            "company": w.company_name[company],
            "lifecyclestage": stage,
            "hs_lifecyclestage_lead_date": created,
            "hs_analytics_source": HS_SOURCE[first_channel]
            if via in ("form", "import")
            else "OFFLINE",
            "hubspot_owner_id": None,
            "associatedcompanyid": None if self.free_mail[i] else self.hs_company_id[company],
            "archived": False,
            "createdate": created,
        }
        changes: list[tuple[int, dict]] = []
        for at, stage_name, field in (
            (
                self.mql_at[i],
                "marketingqualifiedlead",
                "hs_lifecyclestage_marketingqualifiedlead_date",
            ),
            (self.sql_at[i], "salesqualifiedlead", "hs_lifecyclestage_salesqualifiedlead_date"),
            (self.opp_at[i], "opportunity", "hs_lifecyclestage_opportunity_date"),
        ):
            if at >= 0:
                changes.append((int(at), {"lifecyclestage": stage_name, field: int(at)}))
        if self.opp_at[i] >= 0:
            changes.append(
                (
                    int(self.opp_at[i]) + 60,
                    {"hubspot_owner_id": w.aes[company % len(w.aes)]["owner_id"]},
                )
            )
        if self.opp_close.get(i, (0, False))[1]:
            at = self.opp_close[i][0]
            changes.append(
                (at, {"lifecyclestage": "customer", "hs_lifecyclestage_customer_date": at})
            )
        custom = (
            "product_interest",
            w.custom_fields[("hubspot", "contacts", "product_interest")],
            interest,
        )
        stamp = ("createdate", "lastmodifieddate")
        # Duplicates: a second contact whose e-mail differs only in case or white space.
        duplicate = None
        if email and looks_valid(email) and p.random() < 0.02:
            dup_created = created + p.randrange(1, 200) * DAY
            if dup_created < w.end:
                kind = p.choice(("case", "whitespace"))
                dup_email = email.title() if kind == "case" else f" {email} "
                if dup_email == email:
                    dup_email = email.upper()
                duplicate = (w.ids.hubspot("contact", 100), dup_created, dup_email, kind)
        merged_at = None
        if duplicate and p.random() < 0.5:
            merged_at = duplicate[1] + p.randrange(1, 60) * DAY
            if merged_at >= w.end:
                merged_at = None
            else:
                changes.append((merged_at, {"hs_merged_object_ids": duplicate[0]}))
        archived_at = None
        if self.opp_at[i] < 0 and duplicate is None and p.random() < 0.01:
            archived_at = created + p.randrange(1, 200) * DAY
            if archived_at < w.end:
                changes = [c for c in changes if c[0] < archived_at]
                changes.append((archived_at, {"archived": True, "archived_at": archived_at}))
                d["deleted_records"]["hubspot.contacts"] += 1
        if email and looks_valid(email):
            self.hs_email[i] = (
                email.strip().lower(),
                person["first"],
                person["last"],
                w.company_name[company],
            )
        rows = w._versions(base, changes, stamp, custom)
        w._pending["hubspot/contacts"].extend(rows)
        w._truth_record("hubspot", "contacts", contact_id, pid, company)
        if not self.free_mail[i]:
            w._pending["hubspot/associations"].append(
                {
                    "from_object_type": "contacts",
                    "from_id": contact_id,
                    "to_object_type": "companies",
                    "to_id": self.hs_company_id[company],
                    "association_type_id": 1,
                    "association_category": "HUBSPOT_DEFINED",
                    "label": "Primary",
                    "_version_at": created,
                }
            )
        if duplicate:
            self._hubspot_duplicate(
                base, duplicate, merged_at, spelled["formats"], (pid, company), (stamp, custom)
            )

    def _hubspot_duplicate(
        self,
        base: dict,
        duplicate: tuple[str, int, str, str],
        merged_at: int | None,
        formats: tuple[str, str],
        owner: tuple[int, int],
        versioning: tuple[tuple[str, ...], tuple[str, int, object]],
    ) -> None:
        """Write a second contact of a person, its e-mail differing in case or white space."""
        w, d = self.w, self.w.defects
        (pid, company), (stamp, custom) = owner, versioning
        contact_id = base["id"]
        dup_id, dup_created, dup_email, kind = duplicate
        d["duplicate_contacts"][kind] += 1
        # The duplicate carries the same phone and country spellings as its original.
        d["phone_formats"][formats[0]] += 1
        d["country_formats"][formats[1]] += 1
        dup_base = dict(
            base,
            id=dup_id,
            email=dup_email,
            createdate=dup_created,
            hs_lifecyclestage_lead_date=dup_created,
            lifecyclestage="lead",
            hs_analytics_source="OFFLINE",
            associatedcompanyid=None,
            hs_lifecyclestage_marketingqualifiedlead_date=None,
            hs_lifecyclestage_salesqualifiedlead_date=None,
            hs_lifecyclestage_opportunity_date=None,
            hubspot_owner_id=None,
        )
        dup_changes = []
        if merged_at is not None:
            dup_changes.append((merged_at, {"_merged_into": contact_id}))
            d["merged_contacts"]["hubspot.contacts"] += 1
        w._pending["hubspot/contacts"].extend(w._versions(dup_base, dup_changes, stamp, custom))
        w._truth_record("hubspot", "contacts", dup_id, pid, company)

    def _emit_hubspot_companies(self, hs_company_at: dict[int, int]) -> None:
        """HubSpot companies, from their first contact; customers, and a few archived."""
        w, p = self.w, self.prng
        for company, created in sorted(hs_company_at.items()):
            changes = []
            if company in self.customer_at:
                changes.append((self.customer_at[company] + 120, {"lifecyclestage": "customer"}))
            archived_at = None
            if company not in self.customer_at and p.random() < 0.005:
                archived_at = created + p.randrange(30, 300) * DAY
                if archived_at < w.end:
                    changes.append((archived_at, {"archived": True, "archived_at": archived_at}))
                    w.defects["deleted_records"]["hubspot.companies"] += 1
            w._pending["hubspot/companies"].extend(
                w._versions(
                    {
                        "id": self.hs_company_id[company],
                        "name": w.company_name[company],
                        "domain": w.company_domain[company],
                        "industry": ref.INDUSTRIES[w.company_industry[company]].hubspot,
                        "numberofemployees": int(w.company_employees[company]),
                        "annualrevenue": int(w.company_revenue_cents[company]),
                        "country": ref.COUNTRIES[w.company_country[company]].iso2,
                        "lifecyclestage": "lead",
                        "archived": False,
                        "createdate": created,
                    },
                    changes,
                    ("createdate", "hs_lastmodifieddate"),
                )
            )
            w._truth_record("hubspot", "companies", self.hs_company_id[company], None, company)

    def _emit_deal(self, opp: dict, base: dict, deleted: int | None) -> None:
        """HubSpot mirrors an opportunity as a deal through the CRM sync."""
        w, p = self.w, self.prng
        i = opp["person"]
        first_at, first_stage, _ = opp["stages"][0]
        null_amount = base["Amount"] is None
        contact = self.hs_contact[i]
        if contact is None:
            return
        deal_id = w.ids.hubspot("deal", 9_000_000_000)
        deal_base = {
            "id": deal_id,
            "dealname": base["Name"],
            "amount": base["Amount"],
            "dealstage": first_stage[3],
            "pipeline": "default",
            "closedate": opp["expected_close"],
            "hubspot_owner_id": None,
            "salesforce_opportunity_id": opp["id"],
            "archived": False,
            "createdate": first_at + 300,
        }
        deal_changes = []
        for at, stage, amount in opp["stages"][1:]:
            update = {"dealstage": stage[3]}
            if not null_amount:
                update["amount"] = amount
            if stage in (OPP_WON, OPP_LOST):
                update["closedate"] = at
            deal_changes.append((at + 300, update))
        if deleted:
            deal_changes = [c for c in deal_changes if c[0] < deleted + 300]
            deal_changes.append((deleted + 300, {"archived": True, "archived_at": deleted + 300}))
            w.defects["deleted_records"]["hubspot.deals"] += 1
        w._pending["hubspot/deals"].extend(
            w._versions(deal_base, deal_changes, ("createdate", "hs_lastmodifieddate"))
        )
        assoc = w._pending["hubspot/associations"]
        assoc.append(
            {
                "from_object_type": "deals",
                "from_id": deal_id,
                "to_object_type": "contacts",
                "to_id": contact,
                "association_type_id": 3,
                "association_category": "HUBSPOT_DEFINED",
                "label": None,
                "_version_at": first_at + 300,
            }
        )
        company = opp["company"]
        if company in self.hs_company_id:
            assoc.append(
                {
                    "from_object_type": "deals",
                    "from_id": deal_id,
                    "to_object_type": "companies",
                    "to_id": self.hs_company_id[company],
                    "association_type_id": 5,
                    "association_category": "HUBSPOT_DEFINED",
                    "label": "Primary",
                    # Not before the company exists (the sync links them once both are there).
                    "_version_at": max(first_at + 300, self.hs_company_at[company]),
                }
            )
            others = [c for c in sorted(self.hs_company_id) if c != company]
            if others and p.random() < 0.04:
                other = p.choice(others)
                assoc.append(
                    {
                        "from_object_type": "deals",
                        "from_id": deal_id,
                        "to_object_type": "companies",
                        "to_id": self.hs_company_id[other],
                        "association_type_id": 341,
                        "association_category": "HUBSPOT_DEFINED",
                        "label": None,
                        "_version_at": max(first_at + 86_400, self.hs_company_at[other]),
                    }
                )
                w.defects["deals_with_several_companies"]["hubspot.deals"] += 1

    def _web_events(self) -> None:
        """Page views of identified contacts: sessions of one to several pages, UTMs on landing."""
        w, rng, p = self.w, self.rng, self.prng
        visible = (
            np.array([self.hs_contact[i] is not None for i in self.s_person], bool)
            if len(self.s_person)
            else np.zeros(0, bool)
        )
        visible &= self.s_time < w.end
        sessions = np.nonzero(visible)[0]
        pages = 1 + rng.poisson(1.8, len(sessions))
        total = int(pages.sum())
        session_of = np.repeat(sessions, pages)
        position = np.arange(total) - np.repeat(np.cumsum(pages) - pages, pages)
        gaps = rng.integers(20, 240, total)
        gaps[position == 0] = 0
        # Times inside a session add up the gaps from its start.
        csum = np.cumsum(gaps)
        start_of = np.repeat(csum[np.cumsum(pages) - pages], pages)
        when = self.s_time[session_of] + (csum - start_of)
        site = rng.integers(0, len(ref.SITE_PAGES), total)
        channels = [*list(ref.WEB_CHANNELS), "email"]
        page_titles = dict(ref.SITE_PAGES)
        urls, referrers, titles, ids = [], [], [], []
        last_page_of_session = np.cumsum(pages) - 1
        is_last = np.zeros(total, bool)
        is_last[last_page_of_session] = True
        form_rows = []
        for k in range(total):
            s = session_of[k]
            i = int(self.s_person[s])
            channel = channels[self.s_channel[s]]
            if position[k] == 0:
                url, referrer = self._landing(s, channel)
                path = url.split("?")[0][len(ref.VENDOR_SITE) :] or "/"
                title = page_titles.get(path, ref.SITE_PAGES[0][1])
            else:
                referrer = urls[-1]
                if is_last[k] and self.s_form[s] >= 0:
                    path = FORMS[self.s_form[s]][2]
                else:
                    path = ref.SITE_PAGES[site[k]][0]
                url = ref.VENDOR_SITE + path
                title = page_titles[path]
            urls.append(url)
            referrers.append(referrer)
            titles.append(title)
            ids.append(f"{p.getrandbits(64):016x}-{p.getrandbits(64):016x}")
            if is_last[k] and self.s_form[s] >= 0 and when[k] < w.end:
                form_rows.append((s, i, int(when[k]) + 30, url))
        contact_ids = [self.hs_contact[int(self.s_person[s])] for s in session_of]
        known = self.known_at + np.where(self.known_via >= 2, HOUR, 0)
        visible_at = np.maximum(when, known[self.s_person[session_of]])
        keep = when < w.end
        w.out.columns(
            "hubspot/web_events",
            {
                "id": [x for x, ok in zip(ids, keep, strict=True) if ok],
                "object_type": ["contact"] * int(keep.sum()),
                "object_id": [x for x, ok in zip(contact_ids, keep, strict=True) if ok],
                "event_type": ["e_visited_page"] * int(keep.sum()),
                "occurred_at": when[keep],
                "url": [x for x, ok in zip(urls, keep, strict=True) if ok],
                "referrer": [x for x, ok in zip(referrers, keep, strict=True) if ok],
                "page_title": [x for x, ok in zip(titles, keep, strict=True) if ok],
                "_version_at": visible_at[keep],
            },
        )
        self._form_submissions(form_rows)

    def _landing(self, s: int, channel: str) -> tuple[str, str | None]:
        """Landing URL and referrer of session s, with the UTM defects real traffic carries."""
        w, p, d = self.w, self.prng, self.w.defects
        if channel == "email":
            camp = w.email_campaigns[int(self.s_email[s])]
            return (
                f"{ref.VENDOR_SITE}{camp['path']}?utm_source=hubspot&utm_medium=email"
                f"&utm_campaign={camp['slug']}&_hsmi={camp['id']}"
            ), None
        if channel == "organic_search":
            page = p.choice(ref.SITE_PAGES[:9])[0]
            return ref.VENDOR_SITE + page, p.choice(
                ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/")
            )
        if channel == "direct":
            return ref.VENDOR_SITE + p.choice(("/", "/pricing", "/demo")), None
        if channel == "referral":
            return ref.VENDOR_SITE + p.choice(("/", "/customers", "/pricing")), p.choice(
                ref.REFERRAL_SITES
            )
        platform = ref.CHANNELS[channel]["platform"]
        ad = w.ads[platform]["ads"][int(self.s_ad[s])]
        click_param = PLATFORM_UTM[platform][2]
        click = f"{click_param}={p.getrandbits(80):020x}"
        utm = ad["utm"]
        roll = p.random()
        if roll < 0.03:
            d["utm_defects"]["missing"] += 1
            query = click
        elif roll < 0.05:
            kind = p.choice(("double_question_mark", "encoded_equals", "empty_campaign"))
            d["utm_defects"]["malformed"] += 1
            d["utm_malformed_kinds"][kind] += 1
            if kind == "double_question_mark":
                bad = utm.replace("&", "?", 1)
            elif kind == "encoded_equals":
                bad = utm.replace("utm_medium=", "utm_medium%3D", 1)
            else:
                bad = utm.replace(f"utm_campaign={ad['campaign']['slug']}", "utm_campaign=", 1)
            query = f"{bad}&{click}"
        elif roll < 0.09:
            d["utm_defects"]["mixed_case"] += 1
            source, medium, _ = PLATFORM_UTM[platform]
            query = (
                utm.replace(f"utm_source={source}", f"utm_source={source.title()}", 1).replace(
                    f"utm_medium={medium}", f"utm_medium={medium.upper()}", 1
                )
                + f"&{click}"
            )
        else:
            query = f"{utm}&{click}"
        referrer = {
            "google_ads": "https://www.google.com/",
            "facebook_ads": "https://l.facebook.com/",
            "linkedin_ads": "https://www.linkedin.com/",
        }[platform]
        return f"{ad['landing']}?{query}", referrer

    def _form_submissions(self, rows: list[tuple[int, int, int, str]]) -> None:
        w, p = self.w, self.prng
        out = []
        for s, i, when, url in rows:
            person = self.hs_email.get(i)
            if person is None:
                continue
            form = w.forms[int(self.s_form[s])]
            values = [
                {"name": "email", "value": person[0]},
                {"name": "firstname", "value": person[1]},
                {"name": "lastname", "value": person[2]},
                {"name": "company", "value": person[3]},
            ]
            out.append(
                {
                    "conversion_id": f"{p.getrandbits(128):032x}",
                    "form_guid": form["guid"],
                    "submitted_at": when,
                    "page_url": url,
                    "values": values,
                    "_version_at": when,
                }
            )
        w.out.rows_of("hubspot/form_submissions", out)

    def _email_events(self) -> None:
        """SENT, DELIVERED or BOUNCE, OPEN, CLICK and UNSUBSCRIBE events of every send."""
        w, p = self.w, self.prng
        end = w.end
        person = self.m_person
        visible = self.m_sent_at < end
        parts = []
        specs = (
            ("SENT", visible, self.m_sent_at),
            ("DELIVERED", visible & ~self.m_bounce, self.m_sent_at + 20),
            ("BOUNCE", visible & self.m_bounce, self.m_sent_at + 20),
            ("OPEN", visible & self.m_open, self.m_open_at),
            ("CLICK", visible & self.m_click, self.m_click_at),
            ("UNSUBSCRIBE", visible & self.m_unsub, self.m_open_at + 30),
        )
        for kind, mask, when in specs:
            idx = np.nonzero(mask & (when < end))[0]
            parts.append((kind, idx, when[idx]))
        rows: dict[str, list] = defaultdict(list)
        detail = w.prng("email_event_details", self.index)
        for kind, idx, when in parts:
            for k, at in zip(idx.tolist(), when.tolist(), strict=True):
                i = int(person[k])
                camp = w.email_campaigns[int(self.m_campaign[k])]
                details = email_event_details(kind, camp, detail)
                for name in EMAIL_DETAIL_COLUMNS:
                    rows[name].append(details.get(name))
                rows["id"].append(f"{p.getrandbits(64):016x}-{p.getrandbits(32):08x}")
                rows["created"].append(at)
                rows["type"].append(kind)
                rows["recipient"].append(self.hs_email[i][0] if i in self.hs_email else None)
                rows["email_campaign_id"].append(camp["id"])
                rows["sent_by_id"].append(f"{camp['id']:x}-sent")
                rows["sent_by_created"].append(int(self.m_sent_at[k]))
                rows["url"].append(
                    f"{ref.VENDOR_SITE}{camp['path']}?utm_source=hubspot&utm_medium=email"
                    f"&utm_campaign={camp['slug']}"
                    if kind == "CLICK"
                    else None
                )
                rows["_version_at"].append(at)
        count = len(rows["id"])
        rows["portal_id"] = [4_471_337] * count
        rows["app_id"] = [113] * count
        rows["app_name"] = ["Batch"] * count
        w.out.columns("hubspot/email_events", rows)


EMAIL_DETAIL_COLUMNS = (
    "subject",
    "from_address",
    "response",
    "smtp_id",
    "bounce_category",
    "bounce_status",
    "browser_name",
    "browser_family",
    "browser_type",
    "browser_producer",
    "browser_version",
    "location_country",
    "location_state",
    "location_city",
    "user_agent",
    "device_type",
    "duration",
    "filtered_event",
    "referer",
)
"""The per-type fields of e-mail events (None where an event type has no such field)."""

_BOUNCES = (
    # category, SMTP status, response, weight: hard bounces dominate B2B lists.
    ("UNKNOWN_USER", "5.1.1", "550 5.1.1 The email account does not exist", 6),
    ("MAILBOX_FULL", "4.2.2", "452 4.2.2 The recipient's inbox is out of storage space", 1),
    ("POLICY", "5.7.1", "550 5.7.1 Message rejected by the recipient's policy", 2),
    ("SPAM", "5.7.1", "554 5.7.1 Message rejected as spam", 1),
)
_CLIENTS = (
    # browser name, family, type, producer, version, device type, user agent, weight
    (
        "Microsoft Outlook 16",
        "Microsoft Outlook",
        "Email client",
        "Microsoft Corporation.",
        "16.0",
        "COMPUTER",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
        5,
    ),
    (
        "Gmail",
        "Gmail image proxy",
        "Proxy",
        "Google Inc.",
        "",
        "COMPUTER",
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        4,
    ),
    (
        "Apple Mail",
        "Apple Mail",
        "Email client",
        "Apple Inc.",
        "17.5",
        "MOBILE",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Mobile/15E148",
        3,
    ),
    (
        "Chrome 126",
        "Chrome",
        "Browser",
        "Google Inc.",
        "126.0.6478.127",
        "COMPUTER",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        2,
    ),
)
_PLACES = (
    ("United States", "california", "san francisco", 4),
    ("United States", "new york", "new york", 3),
    ("United States", "texas", "austin", 2),
    ("United Kingdom", "england", "london", 2),
    ("Germany", "berlin", "berlin", 1),
)


def email_event_details(kind: str, campaign: dict, rng: random.Random) -> dict[str, object]:
    """Return the fields an e-mail event of `kind` carries beyond the common ones."""
    out: dict[str, object] = {}
    if kind == "SENT":
        out["subject"] = campaign.get("subject")
        out["from_address"] = "Lumen Analytics <marketing@lumenanalytics.io>"
    elif kind == "DELIVERED":
        out["response"] = "250 2.0.0 OK"
        out["smtp_id"] = f"<{rng.getrandbits(48):012x}@mail.lumenanalytics.io>"
    elif kind == "BOUNCE":
        category, status, response, _ = rng.choices(_BOUNCES, [b[3] for b in _BOUNCES])[0]
        out["bounce_category"] = category
        out["bounce_status"] = status
        out["response"] = response
    elif kind in ("OPEN", "CLICK"):
        name, family, kind_of, producer, version, device, agent, _ = rng.choices(
            _CLIENTS, [c[7] for c in _CLIENTS]
        )[0]
        country, state, city, _ = rng.choices(_PLACES, [p[3] for p in _PLACES])[0]
        out.update(
            browser_name=name,
            browser_family=family,
            browser_type=kind_of,
            browser_producer=producer,
            browser_version=version or None,
            location_country=country,
            location_state=state,
            location_city=city,
            user_agent=agent,
            device_type=device,
            filtered_event=family == "Gmail image proxy" and rng.random() < 0.1,
        )
        if kind == "OPEN":
            out["duration"] = int(rng.lognormvariate(8.5, 0.9))  # milliseconds the e-mail was open
        else:
            out["referer"] = "https://mail.google.com/" if family == "Gmail image proxy" else None
    return out
