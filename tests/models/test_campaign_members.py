"""Double campaign registrations: counted in the world's defect manifest, dropped in staging."""

from __future__ import annotations

import json


def test_staging_drops_exactly_the_duplicate_memberships_the_manifest_counts(built_warehouse):
    manifest = json.loads((built_warehouse.world / "truth" / "defects.json").read_text())
    duplicates = manifest["duplicate_campaign_members"]["salesforce.CampaignMember"]
    raw = built_warehouse.scalar("select count(*) from raw_salesforce.campaign_member")
    staged = built_warehouse.scalar("select count(*) from main.stg_salesforce__campaign_members")
    assert duplicates > 0
    assert staged == raw - duplicates
    assert (
        built_warehouse.scalar(
            "select count(*) - count(distinct (campaign_id, lead_or_contact_id)) "
            "from main.stg_salesforce__campaign_members"
        )
        == 0
    )
