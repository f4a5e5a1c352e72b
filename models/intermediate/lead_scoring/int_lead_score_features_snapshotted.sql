{#- One row per person and feature snapshot: who the person is (fit attributes and their points from the seed
    `lead_scoring_fit_points`), what they did strictly before the snapshot (signal counts, engagement points
    decayed to the snapshot date, visits per channel) and, for labelled snapshots, whether they became an
    opportunity within var('lead_scoring_horizon_days') days from it. See the doc block
    `lead_scoring__snapshots` for the snapshot grid, the population and the split. -#}

{%- set fit_attributes = ['industry', 'company_size', 'country', 'seniority', 'email_type'] -%}
{%- set signal_types = [
    'web_visit',
    'form_submission',
    'email_open',
    'email_click',
    'webinar_attendance',
    'event_attendance',
    'content_download',
] -%}
{%- set channels = var('channels') -%}
{%- set platforms = ['google_ads', 'facebook_ads', 'linkedin_ads'] -%}

{#- The snapshot grid: every var('lead_scoring_snapshot_interval_days') days on either side of the cutoff, from
    var('lead_scoring_first_snapshot_date'), while the label window ends by the as-of date; plus the as-of date
    itself (the scoring snapshot, unlabelled). ISO dates compare as strings: the vars are checked at compile time. -#}
{%- set first_snapshot_date = var('lead_scoring_first_snapshot_date') | string -%}
{%- set cutoff_date = var('lead_scoring_cutoff_date') | string -%}
{%- set horizon_days = var('lead_scoring_horizon_days') -%}
{%- set interval_days = var('lead_scoring_snapshot_interval_days') -%}
{%- set recent_days = var('lead_scoring_recent_days') -%}
{%- if not (first_snapshot_date <= cutoff_date < var('as_of_date') | string) -%}
    {{ exceptions.raise_compiler_error(
        'lead_scoring_first_snapshot_date <= lead_scoring_cutoff_date < as_of_date does not hold'
    ) }}
{%- endif -%}

with

people as (
    select
        person_id,
        email_domain,
        title,
        country_code,
        account_id,
        first_seen_at
    from {{ ref('int_people_resolved') }}
    where not is_deleted
),

accounts as (
    select
        account_id,
        industry,
        employee_count
    from {{ ref('int_accounts_resolved') }}
),

lifecycles as (
    select
        person_id,
        became_lead_at,
        became_mql_at,
        became_sql_at,
        became_opportunity_at
    from {{ ref('int_people_lifecycle_dated') }}
),

signals as (
    select
        person_id,
        occurred_at,
        signal_type,
        channel,
        platform
    from {{ ref('int_lead_score_signals_listed') }}
),

fit_points as (
    select
        attribute as fit_attribute,
        attribute_value,
        lower_bound,
        upper_bound,
        points
    from {{ ref('lead_scoring_fit_points') }}
),

engagement_points as (
    select
        signal,
        points
    from {{ ref('lead_scoring_engagement_points') }}
),

free_email_domains as (
    select domain  -- noqa: RF04
    from {{ ref('free_email_domains') }}
),

calendar as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ first_snapshot_date ~ "' as date)",
        dbt.dateadd('day', 1, "cast('" ~ var('as_of_date') ~ "' as date)"),
    ) }}
),

grid_days as (
    select
        cast(date_day as date) as snapshot_date,
        cast(date_day as {{ dbt.type_timestamp() }}) as snapshot_at,
        {{ dbt.dateadd('day', horizon_days, 'cast(date_day as ' ~ dbt.type_timestamp() ~ ')') }} as label_window_end_at,
        {{ dbt.datediff("cast('" ~ cutoff_date ~ "' as date)", 'date_day', 'day') }} as days_from_cutoff
    from calendar
),

snapshots as (
    select
        snapshot_date,
        snapshot_at,
        label_window_end_at,
        label_window_end_at <= cast('{{ cutoff_date }}' as {{ dbt.type_timestamp() }}) as is_labelled_by_cutoff,
        days_from_cutoff = 0 as is_holdout,
        label_window_end_at <= cast('{{ var('as_of_date') }}' as {{ dbt.type_timestamp() }}) as is_labelled,
        snapshot_date = cast('{{ var('as_of_date') }}' as date) as is_as_of
    from grid_days
    where
        (
            mod(days_from_cutoff, {{ interval_days }}) = 0
            and label_window_end_at <= cast('{{ var('as_of_date') }}' as {{ dbt.type_timestamp() }})
        )
        or snapshot_date = cast('{{ var('as_of_date') }}' as date)
),

-- Fit: each person's attributes as they are now (CRMs keep current values), then their seed points. ---------
people_attributes as (
    select
        people.person_id,
        lifecycles.became_opportunity_at,
        accounts.industry,
        accounts.employee_count,
        people.country_code,
        coalesce(lifecycles.became_lead_at, people.first_seen_at) as known_at,
        -- Seniority from the job title, the way CRMs' enrichment buckets titles.
        case
            when people.title is null then null
            when
                lower(people.title) like 'chief %'
                or lower(people.title) like '%founder%'
                or lower(people.title) in ('ceo', 'cfo', 'cto', 'coo', 'cmo', 'cro', 'cio', 'president')
                then 'c_level'
            when
                lower(people.title) like 'vp %'
                or lower(people.title) like '%vice president%'
                or lower(people.title) like 'svp %'
                or lower(people.title) like 'evp %'
                then 'vp'
            when lower(people.title) like '%director%' or lower(people.title) like 'head of %' then 'director'
            when lower(people.title) like '%manager%' then 'manager'
            else 'individual_contributor'
        end as seniority,
        case
            when people.email_domain is null then null
            when free_email_domains.domain is not null then 'free_mail'
            else 'business'
        end as email_type
    from people
    left join lifecycles
        on people.person_id = lifecycles.person_id
    left join accounts
        on people.account_id = accounts.account_id
    left join free_email_domains
        on people.email_domain = free_email_domains.domain
),

attribute_values as (
    select
        person_id,
        'industry' as fit_attribute,
        lower(trim(industry)) as attribute_value,
        cast(null as {{ type_double() }}) as numeric_value
    from people_attributes
    union all
    select
        person_id,
        'company_size' as fit_attribute,
        cast(null as {{ dbt.type_string() }}) as attribute_value,
        cast(employee_count as {{ type_double() }}) as numeric_value
    from people_attributes
    union all
    select
        person_id,
        'country' as fit_attribute,
        lower(trim(country_code)) as attribute_value,
        cast(null as {{ type_double() }}) as numeric_value
    from people_attributes
    union all
    select
        person_id,
        'seniority' as fit_attribute,
        seniority as attribute_value,
        cast(null as {{ type_double() }}) as numeric_value
    from people_attributes
    union all
    select
        person_id,
        'email_type' as fit_attribute,
        email_type as attribute_value,
        cast(null as {{ type_double() }}) as numeric_value
    from people_attributes
),

-- A seed row matches a value exactly (case-insensitive), a number within its bounds (both inclusive, either
-- open), or any non-null value when it is `*`; an exact value wins over `*`. No match: 0 points.
attribute_matches as (
    select
        attribute_values.person_id,
        attribute_values.fit_attribute,
        fit_points.attribute_value as matched_value,
        fit_points.points,
        row_number() over (
            partition by attribute_values.person_id, attribute_values.fit_attribute
            order by
                case when fit_points.attribute_value = '*' then 1 else 0 end,
                fit_points.points desc
        ) as match_rank
    from attribute_values
    inner join fit_points
        on
            attribute_values.fit_attribute = fit_points.fit_attribute
            and (
                (
                    (fit_points.lower_bound is not null or fit_points.upper_bound is not null)
                    and attribute_values.numeric_value is not null
                    and (
                        fit_points.lower_bound is null
                        or attribute_values.numeric_value >= fit_points.lower_bound
                    )
                    and (
                        fit_points.upper_bound is null
                        or attribute_values.numeric_value <= fit_points.upper_bound
                    )
                )
                or (
                    fit_points.lower_bound is null
                    and fit_points.upper_bound is null
                    and attribute_values.attribute_value is not null
                    and (
                        lower(trim(fit_points.attribute_value)) = attribute_values.attribute_value
                        or fit_points.attribute_value = '*'
                    )
                )
            )
),

people_fit as (
    select
        people_attributes.person_id,
        people_attributes.known_at,
        people_attributes.became_opportunity_at,
        people_attributes.industry,
        people_attributes.employee_count,
        people_attributes.country_code,
        people_attributes.seniority,
        people_attributes.email_type,
        max(
            case
                when attribute_matches.fit_attribute = 'company_size' and attribute_matches.match_rank = 1
                    then attribute_matches.matched_value
            end
        ) as company_size_band,
        {%- for attribute in fit_attributes %}
            coalesce(
                max(
                    case
                        when attribute_matches.fit_attribute = '{{ attribute }}' and attribute_matches.match_rank = 1
                            then attribute_matches.points
                    end
                ),
                0
            ) as {{ attribute }}_points,
        {%- endfor %}
        coalesce(
            sum(case when attribute_matches.match_rank = 1 then attribute_matches.points end), 0
        ) as fit_points
    from people_attributes
    left join attribute_matches
        on people_attributes.person_id = attribute_matches.person_id
    group by
        people_attributes.person_id,
        people_attributes.known_at,
        people_attributes.became_opportunity_at,
        people_attributes.industry,
        people_attributes.employee_count,
        people_attributes.country_code,
        people_attributes.seniority,
        people_attributes.email_type
),

-- The population of a snapshot: people known before it who had not become an opportunity by then (open
-- leads); the as-of snapshot keeps everyone known, so every person gets rules-based scores. ---------------
snapshot_people as (
    select
        people_fit.person_id,
        snapshots.snapshot_date,
        snapshots.snapshot_at,
        snapshots.label_window_end_at,
        snapshots.is_labelled_by_cutoff,
        snapshots.is_holdout,
        snapshots.is_labelled,
        snapshots.is_as_of,
        people_fit.known_at,
        people_fit.became_opportunity_at,
        people_fit.became_opportunity_at is null
        or people_fit.became_opportunity_at >= snapshots.snapshot_at as is_open_lead
    from people_fit
    inner join snapshots
        on people_fit.known_at < snapshots.snapshot_at
),

population as (
    select
        person_id,
        snapshot_date,
        snapshot_at,
        label_window_end_at,
        is_labelled_by_cutoff,
        is_holdout,
        is_labelled,
        is_as_of,
        known_at,
        became_opportunity_at,
        is_open_lead
    from snapshot_people
    where is_open_lead or is_as_of
),

-- Engagement: every signal strictly before the snapshot, its points halved every half-life of age. ---------
snapshot_signals as (
    select
        population.person_id,
        population.snapshot_date,
        signals.signal_type,
        signals.platform,
        signals.occurred_at,
        -- Visits: web sessions and attended or downloaded campaigns (not forms, opens or clicks).
        case
            when signals.signal_type in ('web_visit', 'webinar_attendance', 'event_attendance', 'content_download')
                then signals.channel
        end as visit_channel,
        signals.occurred_at >= {{ dbt.dateadd('day', -1 * recent_days, 'population.snapshot_at') }} as is_recent,
        coalesce(engagement_points.points, 0) * power(
            0.5,
            {{ dbt.datediff('signals.occurred_at', 'population.snapshot_at', 'second') }}
            / (86400.0 * {{ var('lead_scoring_half_life_days') }})
        ) as decayed_points
    from population
    inner join signals
        on
            population.person_id = signals.person_id
            and population.snapshot_at > signals.occurred_at
    left join engagement_points
        on signals.signal_type = engagement_points.signal
),

signal_totals as (
    select
        person_id,
        snapshot_date,
        {%- for signal_type in signal_types %}
            sum(case when signal_type = '{{ signal_type }}' then 1 else 0 end) as {{ signal_type }}_count,
            sum(case when signal_type = '{{ signal_type }}' then decayed_points else 0 end)
                as {{ signal_type }}_points,
            sum(case when signal_type = '{{ signal_type }}' and is_recent then 1 else 0 end)
                as {{ signal_type }}_recent_count,
        {%- endfor %}
        {%- for channel in channels %}
            sum(case when visit_channel = '{{ channel }}' then 1 else 0 end)
                as {{ channel | lower | replace(' ', '_') }}_visit_count,
        {%- endfor %}
        {%- for platform in platforms %}
            sum(case when platform = '{{ platform }}' then 1 else 0 end) as {{ platform }}_visit_count,
        {%- endfor %}
        sum(decayed_points) as engagement_points,
        count(*) as signal_count,
        max(occurred_at) as last_signal_at
    from snapshot_signals
    group by person_id, snapshot_date
),

final as (
    select
        population.person_id,
        population.snapshot_date,
        population.is_labelled_by_cutoff,
        population.is_holdout,
        population.is_labelled,
        population.is_as_of,
        population.is_open_lead,
        case
            when population.is_labelled
                then
                    population.became_opportunity_at is not null
                    and population.became_opportunity_at < population.label_window_end_at
        end as became_opportunity_within_horizon,
        population.known_at,
        {{ dbt.datediff('population.known_at', 'population.snapshot_at', 'second') }} / 86400.0 as days_known,
        people_fit.industry,
        people_fit.employee_count as account_employees,
        people_fit.company_size_band,
        people_fit.country_code,
        people_fit.seniority,
        people_fit.email_type,
        {%- for attribute in fit_attributes %}
            people_fit.{{ attribute }}_points,
        {%- endfor %}
        people_fit.fit_points,
        {%- for signal_type in signal_types %}
            coalesce(signal_totals.{{ signal_type }}_count, 0) as {{ signal_type }}_count,
            coalesce(signal_totals.{{ signal_type }}_points, 0) as {{ signal_type }}_points,
            coalesce(signal_totals.{{ signal_type }}_recent_count, 0) as {{ signal_type }}_recent_count,
        {%- endfor %}
        {%- for channel in channels %}
            {%- set column = channel | lower | replace(' ', '_') ~ '_visit_count' %}
            coalesce(signal_totals.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        {%- for platform in platforms %}
            coalesce(signal_totals.{{ platform }}_visit_count, 0) as {{ platform }}_visit_count,
        {%- endfor %}
        coalesce(signal_totals.engagement_points, 0) as engagement_points,
        coalesce(signal_totals.signal_count, 0) as signal_count,
        -- The funnel stage the CRM had recorded before the snapshot, and since when.
        coalesce(lifecycles.became_mql_at < population.snapshot_at, false) as has_reached_mql,
        coalesce(lifecycles.became_sql_at < population.snapshot_at, false) as has_reached_sql,
        case
            when lifecycles.became_mql_at < population.snapshot_at
                then {{ dbt.datediff('lifecycles.became_mql_at', 'population.snapshot_at', 'second') }} / 86400.0
        end as days_since_mql,
        case
            when lifecycles.became_sql_at < population.snapshot_at
                then {{ dbt.datediff('lifecycles.became_sql_at', 'population.snapshot_at', 'second') }} / 86400.0
        end as days_since_sql,
        signal_totals.last_signal_at,
        {{ dbt.datediff('signal_totals.last_signal_at', 'population.snapshot_at', 'second') }} / 86400.0
            as days_since_last_signal
    from population
    inner join people_fit
        on population.person_id = people_fit.person_id
    left join signal_totals
        on
            population.person_id = signal_totals.person_id
            and population.snapshot_date = signal_totals.snapshot_date
    left join lifecycles
        on population.person_id = lifecycles.person_id
)

select * from final
