"""Touchpoints and the funnel (models/intermediate/touchpoints, .../funnel) against the truth.

The scale-0.1 world is ingested and built once per session (`built_warehouse`); each test
compares the built models with the world's `truth/` where the comparison is exact:

- every true visit (web channels and e-mail) of a person whose page-view contact the crosswalk
  maps is one `web_session` touchpoint at the same second, with the true channel and ad platform;
  paid touches per ad equal the truth's (the landing pages that lost their UTMs, counted from the
  world's own page views, aside), and campaign keys name the ad's campaign in the ad spend;
- e-mail clicks and campaign responses are true touches (responses by day: Salesforce keeps
  dates);
- funnel dates equal the truth's where a CRM records them: MQL and SQL for people with a HubSpot
  contact, opportunity creation and wins for everyone, becoming known for people whose first
  record survives.

True people map to warehouse people through `truth/records.parquet` and the identity crosswalk
(whose purity `tests/models/test_identity.py` checks). What cannot match is measured, not asserted,
in `test_report`.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from warehouse_support import BuiltWarehouse

# The generator's channels -> the warehouse's (seed channel_mapping), and paid ones' ad platform.
CHANNELS = {
    "paid_search": "Paid Search",
    "paid_social_meta": "Paid Social",
    "paid_social_linkedin": "Paid Social",
    "organic_search": "Organic Search",
    "direct": "Direct",
    "referral": "Referral",
    "email": "Email",
    "events_webinars": "Events and Webinars",
    "content_syndication": "Content Syndication",
}
PLATFORMS = {
    "paid_search": "google_ads",
    "paid_social_meta": "facebook_ads",
    "paid_social_linkedin": "linkedin_ads",
}
# ... and the platform inside the channel (`channel_platform`), which splits Paid Social in two.
CHANNEL_PLATFORMS = {
    "paid_search": "google",
    "paid_social_meta": "meta",
    "paid_social_linkedin": "linkedin",
}
MODELS = (
    "int_page_views_sessionized",
    "int_web_sessions_aggregated",
    "int_web_session_touchpoints_listed",
    "int_form_submission_touchpoints_matched",
    "int_email_click_touchpoints_matched",
    "int_campaign_response_touchpoints_matched",
    "int_traffic_sources_classified",
    "int_touchpoints_unioned",
    "int_opportunity_stages_sequenced",
    "int_opportunity_people_bridged",
    "int_opportunities_enriched",
    "int_people_lifecycle_dated",
)


def _values(mapping: dict[str, str | None]) -> str:
    rows = ", ".join(
        f"('{key}', {'null' if value is None else repr(value)})" for key, value in mapping.items()
    )
    return f"(values {rows})"


@pytest.fixture(scope="module")
def con(built_warehouse: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The built warehouse (read-only) with the world's truth and page views as views."""
    connection = duckdb.connect(str(built_warehouse.path), read_only=True)
    connection.execute("set TimeZone = 'UTC'")
    world = built_warehouse.world
    for name in ("people", "records", "touches"):
        connection.execute(
            f"create temp view truth_{name} as select * from '{world}/truth/{name}.parquet'"
        )
    connection.execute(
        f"create temp view world_web_events as select * from '{world}/hubspot/web_events.parquet'"
    )
    connection.execute(
        f"create temp view channel_names(true_channel, channel) as {_values(CHANNELS)}"
    )
    platforms = _values({key: PLATFORMS.get(key) for key in CHANNELS})
    connection.execute(f"create temp view channel_platforms(true_channel, platform) as {platforms}")
    channel_platforms = _values({key: CHANNEL_PLATFORMS.get(key) for key in CHANNELS})
    connection.execute(
        "create temp view channel_platform_names(true_channel, channel_platform) as "
        f"{channel_platforms}"
    )
    # True person -> warehouse person, through every crosswalk record that is not deleted.
    connection.execute(
        """
        create temp view person_map as
        select distinct records.person_id as true_person_id, mapped.person_id
        from truth_records as records
        inner join main.int_person_records_mapped as mapped
            on mapped.source_record_id = records.record_id
            and mapped.source_system = records.system
            and mapped.source_object = records.object
        where not mapped.is_deleted and records.person_id is not null
        """
    )
    # The contacts whose page views the warehouse knows: mapped, live, with page views.
    connection.execute(
        """
        create temp view page_view_people as
        select distinct records.person_id as true_person_id, mapped.person_id,
            mapped.source_record_id as contact_id
        from truth_records as records
        inner join main.int_person_records_mapped as mapped
            on mapped.source_record_id = records.record_id
            and mapped.source_system = 'hubspot' and mapped.source_object = 'contacts'
        where records.system = 'hubspot' and records.object = 'contacts'
            and not mapped.is_deleted
            and records.record_id in (select object_id from world_web_events)
        """
    )
    # Every true visit of those people, with its channel, platform and landing URL.
    connection.execute(
        """
        create temp view true_visits as
        select people.person_id, cast(touches.touched_at as timestamp) as touched_at,
            touches.channel as true_channel, names.channel, platforms.platform,
            channel_platforms.channel_platform, touches.ad_id, landings.url as landing_url
        from truth_touches as touches
        inner join page_view_people as people on touches.person_id = people.true_person_id
        inner join channel_names as names on touches.channel = names.true_channel
        inner join channel_platforms as platforms on touches.channel = platforms.true_channel
        inner join channel_platform_names as channel_platforms
            on touches.channel = channel_platforms.true_channel
        left join (
            select object_id, occurred_at, min(url) as url
            from world_web_events
            where regexp_matches(url, '[?&](gclid|fbclid|li_fat_id)=')
            group by object_id, occurred_at
        ) as landings
            on landings.object_id = people.contact_id
            and landings.occurred_at = touches.touched_at
            and touches.ad_id is not null
        where touches.channel not in ('events_webinars', 'content_syndication')
        """
    )
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def test_dbt_nodes_of_touchpoints_and_funnel_pass(built_warehouse: BuiltWarehouse) -> None:
    """Every model, data test and unit test of these folders built and passed."""
    mine = [f for f in built_warehouse.failures() if any(model in f for model in MODELS)]
    ran = [r for r in built_warehouse.results if any(m in r["unique_id"] for m in MODELS)]
    assert ran, "dbt build ran none of the touchpoint and funnel nodes"
    assert mine == []


def test_web_sessions_are_the_true_visits(con: duckdb.DuckDBPyConnection) -> None:
    """Each true visit is one web session at the same second, with the true channel and platform."""
    expected = _rows(
        con,
        """
        select person_id, touched_at, channel, platform, count(*)
        from true_visits group by all order by all
        """,
    )
    actual = _rows(
        con,
        """
        select person_id, touched_at, channel, platform, count(*)
        from main.int_touchpoints_unioned where touchpoint_type = 'web_session'
        group by all order by all
        """,
    )
    assert len(expected) > 5_000
    assert actual == expected


def test_paid_social_splits_into_meta_and_linkedin(con: duckdb.DuckDBPyConnection) -> None:
    """Each true visit's platform inside its channel (`channel_platform`) is the truth's: Paid
    Social splits into the true Meta and LinkedIn visits; Paid Search is Google; unpaid: none."""
    expected = _rows(
        con,
        """
        select person_id, touched_at, channel, channel_platform, count(*)
        from true_visits group by all order by all
        """,
    )
    actual = _rows(
        con,
        """
        select person_id, touched_at, channel, channel_platform, count(*)
        from main.int_touchpoints_unioned where touchpoint_type = 'web_session'
        group by all order by all
        """,
    )
    assert actual == expected
    split = dict(
        _rows(
            con,
            """
            select channel_platform, count(*) from main.int_touchpoints_unioned
            where channel = 'Paid Social' group by all
            """,
        )
    )
    assert set(split) == {"meta", "linkedin"}
    assert min(split.values()) > 100


def test_paid_touches_per_ad_equal_the_truth(con: duckdb.DuckDBPyConnection) -> None:
    """Paid sessions per ad equal the true paid visits per ad whose landing page kept its
    utm_content; per platform (from the click id) they equal every true paid visit."""
    expected_ads = _rows(
        con,
        """
        select ad_id, count(*) from true_visits
        where ad_id is not null and landing_url like '%utm_content=%'
        group by all order by all
        """,
    )
    actual_ads = _rows(
        con,
        """
        select ad_id, count(*) from main.int_touchpoints_unioned
        where touchpoint_type = 'web_session' and ad_id is not null
        group by all order by all
        """,
    )
    assert actual_ads == expected_ads
    # Every true paid visit has its landing page (with its click id) among the world's page views.
    assert (
        _scalar(
            con, "select count(*) from true_visits where ad_id is not null and landing_url is null"
        )
        == 0
    )
    # The paid landing pages that lost their UTMs are paid touches without an ad.
    lost = _scalar(
        con,
        """
        select count(*) from true_visits
        where ad_id is not null and landing_url not like '%utm_%'
        """,
    )
    without_ad = _scalar(
        con,
        """
        select count(*) from main.int_touchpoints_unioned
        where touchpoint_type = 'web_session' and platform is not null and ad_id is null
        """,
    )
    assert without_ad == lost > 0
    expected_platforms = _rows(
        con,
        """
        select platform, count(*) from true_visits
        where platform is not null group by all order by all
        """,
    )
    actual_platforms = _rows(
        con,
        """
        select platform, count(*) from main.int_touchpoints_unioned
        where touchpoint_type = 'web_session' and platform is not null group by all order by all
        """,
    )
    assert actual_platforms == expected_platforms


def test_campaign_keys_name_the_ads_campaign(con: duckdb.DuckDBPyConnection) -> None:
    """A paid touch's campaign key is the key ad spend gives its ad's campaign; a campaign
    response's is its Salesforce campaign's; no other touch has one."""
    mismatched = _rows(
        con,
        """
        with ad_keys as (
            select distinct platform, ad_id, campaign_key
            from main.int_ad_spend_days_unioned where ad_id is not null
        )
        select touches.touchpoint_id, touches.campaign_key, ad_keys.campaign_key
        from main.int_touchpoints_unioned as touches
        left join ad_keys on touches.platform = ad_keys.platform and touches.ad_id = ad_keys.ad_id
        where touches.platform is not null and touches.campaign_key is not null
            and touches.campaign_key is distinct from ad_keys.campaign_key
        """,
    )
    assert mismatched == []
    keyed = _scalar(
        con,
        "select count(*) from main.int_touchpoints_unioned"
        " where platform is not null and campaign_key is not null",
    )
    assert keyed > 0
    responses = _rows(
        con,
        """
        select touchpoint_type, count(*),
            count(*) filter (where campaign_key = 'salesforce:' || salesforce_campaign_id)
        from main.int_touchpoints_unioned
        where platform is null and campaign_key is not null
        group by all
        """,
    )
    assert len(responses) == 1
    touchpoint_type, count, keyed_to_campaign = responses[0]
    assert touchpoint_type == "campaign_response"
    assert keyed_to_campaign == count > 0


def test_email_clicks_are_true_email_touches(con: duckdb.DuckDBPyConnection) -> None:
    """Every e-mail click is a true e-mail touch of the same person (whose visit starts two
    seconds after the click), and the click and its visit are linked."""
    unmatched = _rows(
        con,
        """
        with clicks as (
            select person_id, touched_at + interval 2 second as visit_at, count(*) as clicks
            from main.int_touchpoints_unioned where touchpoint_type = 'email_click' group by all
        ),
        true_email as (
            select map.person_id, cast(touches.touched_at as timestamp) as visit_at,
                count(*) as visits
            from truth_touches as touches
            inner join person_map as map on touches.person_id = map.true_person_id
            where touches.channel = 'email' group by all
        )
        select clicks.* from clicks
        left join true_email using (person_id, visit_at)
        where true_email.visits is null or true_email.visits < clicks.clicks
        """,
    )
    assert unmatched == []
    misplaced = _scalar(
        con,
        """
        select count(*)
        from main.int_touchpoints_unioned as clicks
        inner join main.int_web_sessions_aggregated as sessions
            on clicks.web_session_id = sessions.session_id
        where clicks.touchpoint_type = 'email_click'
            and sessions.started_at != clicks.touched_at + interval 2 second
        """,
    )
    assert misplaced == 0


def test_campaign_responses_are_true_attendances(con: duckdb.DuckDBPyConnection) -> None:
    """Every campaign response is a true event, webinar or syndication touch of the person on
    that day."""
    unmatched = _rows(
        con,
        """
        with responses as (
            select person_id, cast(touched_at as date) as touched_on, channel, count(*) as responses
            from main.int_touchpoints_unioned where touchpoint_type = 'campaign_response'
            group by all
        ),
        attendances as (
            select map.person_id, cast(touches.touched_at as date) as touched_on, names.channel,
                count(*) as attendances
            from truth_touches as touches
            inner join person_map as map on touches.person_id = map.true_person_id
            inner join channel_names as names on touches.channel = names.true_channel
            where touches.channel in ('events_webinars', 'content_syndication')
            group by all
        )
        select responses.* from responses
        left join attendances using (person_id, touched_on, channel)
        where attendances.attendances is null or attendances.attendances < responses.responses
        """,
    )
    assert unmatched == []
    assert (
        _scalar(
            con,
            """
            select count(*) from main.int_touchpoints_unioned
            where touchpoint_type = 'campaign_response'
            """,
        )
        > 0
    )


@pytest.fixture(scope="module")
def funnel(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Truth and warehouse funnel dates side by side, one row per resolved true person."""
    con.execute(
        """
        create or replace temp view funnel as
        select people.person_id as true_person_id, people.known_via,
            cast(people.known_at as timestamp) as known_at,
            cast(people.mql_at as timestamp) as mql_at,
            cast(people.sql_at as timestamp) as sql_at,
            cast(people.opportunity_created_at as timestamp) as opportunity_created_at,
            people.is_won,
            exists (
                select 1 from truth_records as records
                inner join main.int_person_records_mapped as mapped
                    on mapped.source_record_id = records.record_id
                    and mapped.source_system = 'hubspot' and mapped.source_object = 'contacts'
                where records.person_id = people.person_id and not mapped.is_deleted
            ) as has_hubspot_contact,
            lifecycle.*
        from truth_people as people
        inner join person_map as map on people.person_id = map.true_person_id
        inner join main.int_people_lifecycle_dated as lifecycle
            on map.person_id = lifecycle.person_id
        """
    )
    return con


def test_people_map_one_to_one(funnel: duckdb.DuckDBPyConnection) -> None:
    """The comparison is well defined: true and warehouse people map one to one."""
    counts = funnel.execute(
        "select count(*), count(distinct true_person_id), count(distinct person_id) from person_map"
    ).fetchone()
    assert counts[0] == counts[1] == counts[2] > 0


def test_opportunity_and_win_dates_equal_the_truth(funnel: duckdb.DuckDBPyConnection) -> None:
    """Every resolved person became an opportunity exactly when the truth says (or never), and is a
    customer exactly when their opportunity was won."""
    wrong = funnel.execute(
        """
        select true_person_id, opportunity_created_at, became_opportunity_at,
            is_won, became_customer_at
        from funnel
        where became_opportunity_at is distinct from opportunity_created_at
            or is_won != (became_customer_at is not null)
        """
    ).fetchall()
    assert wrong == []


def test_mql_and_sql_dates_equal_the_truth(funnel: duckdb.DuckDBPyConnection) -> None:
    """People with a HubSpot contact: MQL and SQL are the true moments (or never)."""
    wrong = funnel.execute(
        """
        select true_person_id, mql_at, became_mql_at, sql_at, became_sql_at from funnel
        where has_hubspot_contact
            and (became_mql_at is distinct from mql_at or became_sql_at is distinct from sql_at)
        """
    ).fetchall()
    assert wrong == []
    assert (
        funnel.execute(
            "select count(*) from funnel where has_hubspot_contact and became_sql_at is not null"
        ).fetchone()[0]
        > 0
    )


def test_lead_dates_equal_the_truth(funnel: duckdb.DuckDBPyConnection) -> None:
    """Nobody is a lead before they became known; people known through a form, a list import (their
    HubSpot contact) or a sales rep (their Salesforce contact) became leads exactly then."""
    early = funnel.execute(
        "select count(*) from funnel where became_lead_at < known_at"
    ).fetchone()[0]
    assert early == 0
    wrong = funnel.execute(
        """
        select true_person_id, known_via, known_at, became_lead_at from funnel
        where (known_via = 'sales' or (known_via in ('form', 'import') and has_hubspot_contact))
            and became_lead_at is distinct from known_at
        """
    ).fetchall()
    assert wrong == []


def test_opportunities_belong_to_their_true_people(funnel: duckdb.DuckDBPyConnection) -> None:
    """Each opportunity's primary person is the true person whose opportunity it is (created
    then, won alike)."""
    wrong = funnel.execute(
        """
        select opportunities.opportunity_id, opportunities.created_at, funnel.opportunity_created_at
        from main.int_opportunities_enriched as opportunities
        left join funnel on opportunities.primary_person_id = funnel.person_id
        where funnel.opportunity_created_at is distinct from opportunities.created_at
            or (opportunities.is_won and not funnel.is_won)
            or (funnel.is_won and not opportunities.is_won)
        """
    ).fetchall()
    assert wrong == []


def test_report(con: duckdb.DuckDBPyConnection, funnel: duckdb.DuckDBPyConnection) -> None:
    """Figures for the report (printed with -s); what the truth has that the CRMs cannot show."""
    figures = {
        "touchpoints by type": con.execute(
            """
            select touchpoint_type, count(*) from main.int_touchpoints_unioned
            group by 1 order by 1
            """
        ).fetchall(),
        "true visits of known contacts": con.execute("select count(*) from true_visits").fetchone(),
        "true attendances of resolved people": con.execute(
            """
            select count(*) from truth_touches as touches
            inner join person_map as map on touches.person_id = map.true_person_id
            where touches.channel in ('events_webinars', 'content_syndication')
            """
        ).fetchone(),
        "funnel exact (lead, mql, sql, opportunity) / people": funnel.execute(
            """
            select count(*) filter (where became_lead_at = known_at),
                count(*) filter (where became_mql_at is not distinct from mql_at),
                count(*) filter (where became_sql_at is not distinct from sql_at),
                count(*) filter (
                    where became_opportunity_at is not distinct from opportunity_created_at
                ),
                count(*)
            from funnel
            """
        ).fetchone(),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
