"""What the warehouse must never see: the record map, defect manifest and true channel effects."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from gtm_demo import reference as ref
from gtm_demo.truth_contributions import write_channel_contributions
from gtm_demo.world.model import AD_ACCOUNTS, FIT_COEF, INTENT_COEF, INTERCEPT


class WorldTruth:
    """Part of `World` (the generation run): its methods below."""

    def _truth_record(
        self,
        system: str,
        obj: str,
        record_id: str,
        person: int | None,
        company: int | None,
        is_test: bool = False,
    ) -> None:
        self._pending["truth/records"].append(
            {
                "system": system,
                "object": obj,
                "record_id": record_id,
                "person_id": person,
                "company_id": company,
                "is_test": is_test,
            }
        )

    def _write_truth(self) -> None:
        """Write the world's truth files that are known only at the end: defects and channels.

        Truth about people, touches, companies and records streams out with the chunks
        (`truth/*.parquet`); everything computed over the whole world is written here.
        """
        truth = self.root / "truth"
        defects = {
            kind: dict(sorted(counts.items())) for kind, counts in sorted(self.defects.items())
        }
        defects["ad_accounts_by_currency"] = dict(
            sorted(Counter(a[2] for accounts in AD_ACCOUNTS.values() for a in accounts).items())
        )
        defects["ad_accounts_non_utc"] = sorted(
            f"{platform}:{a[0]}"
            for platform, accounts in AD_ACCOUNTS.items()
            for a in accounts
            if a[3] != "UTC"
        )
        defects["custom_fields"] = [
            {
                "system": system,
                "object": obj,
                "field": field,
                "introduced_at": datetime.fromtimestamp(when, UTC).isoformat(),
            }
            for (system, obj, field), when in self.custom_fields.items()
        ]
        (truth / "defects.json").write_text(json.dumps(defects, indent=2, sort_keys=True) + "\n")
        (truth / "channels.json").write_text(
            json.dumps(
                {
                    "intercept": INTERCEPT,
                    "fit_coefficient": FIT_COEF,
                    "intent_coefficient": INTENT_COEF,
                    "formula": "propensity = sigmoid(intercept + fit_coefficient*fit + "
                    "intent_coefficient*intent + sum_c true_effect[c]*log1p(touches[c]))",
                    "channels": {
                        name: {"platform": spec["platform"], "true_effect": spec["true_effect"]}
                        for name, spec in ref.CHANNELS.items()
                    },
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
        # Each channel's true contribution, from the propensity formula above and the people's
        # touches (truth/*.parquet, complete by now).
        write_channel_contributions(self.root)
