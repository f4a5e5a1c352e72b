"""Users and companies: the small dimensions every later step draws from."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import DAY
from gtm_demo.world.sampling import slugify, stratified_choice, stratified_uniform


class Dimensions:
    """Part of `World` (the generation run): its methods below."""

    def _users(self) -> None:
        rng = self.prng("users")
        n = self.count(40, minimum=8)
        self.users: list[dict] = []
        rows, owners = [], []
        for i in range(n):
            first, last = rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)
            role = ("Marketing", "SDR", "AE", "AE")[i % 4]
            created = self.start - rng.randrange(30, 400) * DAY
            user_id = self.ids.salesforce("User")
            email = f"{slugify(first)}.{slugify(last)}{i}@lumenanalytics.io"
            user = {"id": user_id, "role": role, "email": email, "owner_id": str(70_000_000 + i)}
            self.users.append(user)
            rows.append(
                {
                    "Id": user_id,
                    "FirstName": first,
                    "LastName": last,
                    "Name": f"{first} {last}",
                    "Email": email,
                    "Title": {
                        "Marketing": "Marketing Manager",
                        "SDR": "Sales Development Representative",
                        "AE": "Account Executive",
                    }[role],
                    "Department": "Marketing" if role == "Marketing" else "Sales",
                    "IsActive": True,
                    "ManagerId": None,
                    "CreatedDate": created,
                    "LastModifiedDate": created,
                    "SystemModstamp": created,
                    "_version_at": created,
                }
            )
            owners.append(
                {
                    "id": user["owner_id"],
                    "email": email,
                    "firstName": first,
                    "lastName": last,
                    "userId": 9_000_000 + i,
                    "createdAt": created,
                    "updatedAt": created,
                    "archived": False,
                    "_version_at": created,
                }
            )
        self.out.rows_of("salesforce/User", rows)
        self.out.rows_of("hubspot/owners", owners)
        self.aes = [u for u in self.users if u["role"] == "AE"]
        self.sdrs = [u for u in self.users if u["role"] == "SDR"]
        self.marketers = [u for u in self.users if u["role"] == "Marketing"]

    def _companies(self) -> None:
        rng = self.rng("companies")
        n = self.count(2000)
        countries = ref.COUNTRIES
        c_weights = np.array([c.weight for c in countries])
        i_weights = np.array([i.weight for i in ref.INDUSTRIES])
        # Stratified draws keep a small world's mix of countries, industries and sizes the same
        # as a large one's, so per-capita outcomes do not drift with scale.
        country_idx = stratified_choice(rng, c_weights, n)
        industry_idx = stratified_choice(rng, i_weights, n)
        normal = NormalDist()
        size_z = np.array([normal.inv_cdf(u) for u in stratified_uniform(rng, n)])
        employees = np.clip(np.round(np.exp(5.0 + 1.4 * size_z)), 5, 250_000).astype(np.int64)
        rev_per_employee = rng.uniform(80_000, 320_000, n)
        size_fit = np.clip((np.log(employees) - 5.0) / 2.0, -1.0, 1.2)
        industry_fit = np.array([ref.INDUSTRIES[i].fit for i in industry_idx])
        self.company_fit = industry_fit + 0.6 * size_fit + rng.normal(0, 0.3, n)
        self.company_country = country_idx
        self.company_industry = industry_idx
        self.company_employees = employees
        names, domains, seen = [], [], set()
        word_a, word_b = ref.COMPANY_WORDS_A, ref.COMPANY_WORDS_B
        for i in range(n):
            a, b = word_a[rng.integers(len(word_a))], word_b[rng.integers(len(word_b))]
            stem = f"{a} {b}"
            base = slugify(stem).replace("-", "")
            domain_stem, k = base, 1
            while domain_stem in seen:
                k += 1
                domain_stem = f"{base}{k}"
            seen.add(domain_stem)
            suffix = ref.COMPANY_SUFFIXES[rng.integers(len(ref.COMPANY_SUFFIXES))]
            label = stem if k == 1 else f"{stem} {k}"
            names.append(f"{label} {suffix}".strip())
            domains.append(f"{domain_stem}.{countries[country_idx[i]].tld}")
        self.company_name, self.company_domain = names, domains
        revenue = np.round(employees * rev_per_employee / 1000) * 1000
        self.company_revenue_cents = (revenue * 100).astype(np.int64)
        self.out.columns(
            "truth/companies",
            {
                "company_id": np.arange(n, dtype=np.int64),
                "name": names,
                "domain": domains,
                "industry": [ref.INDUSTRIES[i].salesforce for i in industry_idx],
                "employee_count": employees,
                "country_code": [countries[i].iso2 for i in country_idx],
                "annual_revenue": self.company_revenue_cents.tolist(),
                "fit": self.company_fit,
            },
        )
