"""How each record spells a person: e-mail, phone and country, with real CRM defects."""

from __future__ import annotations

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    COUNTRY_FORMAT_P,
    COUNTRY_FORMATS,
    INVALID_EMAIL_KINDS,
    PHONE_FORMAT_P,
    PHONE_FORMATS,
)
from gtm_demo.world.sampling import slugify


class Identities:
    """Part of `Chunk` (one chunk of companies): its methods below."""

    def _person_identity(self, i: int) -> dict:
        """Name, e-mail, phone and country of person i, and how each record spells them."""
        w, p = self.w, self.prng
        first, last = ref.FIRST_NAMES[self.first[i]], ref.LAST_NAMES[self.last[i]]
        company = int(self.company_of[i])
        country = ref.COUNTRIES[w.company_country[company]]
        local = f"{slugify(first)}.{slugify(last).replace('-', '')}{self.person_id[i]}"
        domain = p.choice(ref.FREE_MAIL_DOMAINS) if self.free_mail[i] else w.company_domain[company]
        number = "".join(str(p.randrange(10)) for _ in range(country.national_digits - 1))
        national = str(p.randrange(2, 10)) + number
        return {
            "first": first,
            "last": last,
            "email": f"{local}@{domain}",
            "country": country,
            "national": national,
            "e164": f"+{country.calling_code}{national}",
            "company": company,
        }

    def _spell(self, person: dict, record: str, no_email: bool = False) -> dict:
        """Spell a person as one record does: e-mail, phone and country, with real CRM defects."""
        p, d = self.prng, self.w.defects
        email = None if no_email else person["email"]
        if email and p.random() < 0.01:
            kind = p.choice(INVALID_EMAIL_KINDS)
            local, domain = email.split("@")
            email = {
                "no_tld": f"{local}@{domain.split('.')[0]}",
                "missing_at": f"{local}.{domain}",
                "double_at": f"{local}@@{domain}",
                "double_dot": f"{local}@{domain.replace('.', '..', 1)}",
            }[kind]
            d["invalid_emails"][record] += 1
            d["invalid_email_kinds"][kind] += 1
        phone_format = p.choices(PHONE_FORMATS, PHONE_FORMAT_P)[0]
        c, nat = person["country"], person["national"]
        nanp = c.calling_code == "1"
        if phone_format in ("national", "dotted") and not nanp:
            phone_format = "national"
        phone = {
            "e164": person["e164"],
            "international": f"+{c.calling_code} {nat[:3]} {nat[3:6]} {nat[6:]}",
            "national": f"({nat[:3]}) {nat[3:6]}-{nat[6:]}" if nanp else f"0{nat[:3]} {nat[3:]}",
            "dotted": f"{nat[:3]}.{nat[3:6]}.{nat[6:]}",
            "digits": nat if nanp else f"{c.calling_code}{nat}",
            "intl_00": f"00{c.calling_code}{nat}",
            "with_ext": f"+{c.calling_code} {nat[:3]}-{nat[3:6]}-{nat[6:]} ext. "
            f"{p.randrange(10, 99)}",
            "missing": None,
        }[phone_format]
        d["phone_formats"][phone_format] += 1
        country_format = p.choices(COUNTRY_FORMATS, COUNTRY_FORMAT_P)[0]
        country = {
            "iso2": c.iso2,
            "name": c.name,
            "iso3": c.iso3,
            "alias": p.choice(c.aliases),
            "missing": None,
        }[country_format]
        d["country_formats"][country_format] += 1
        return {
            "email": email,
            "phone": phone,
            "country": country,
            "formats": (phone_format, country_format),
        }
