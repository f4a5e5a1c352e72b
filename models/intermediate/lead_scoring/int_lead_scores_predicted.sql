{#- One row per person of the hold-out snapshot (scored by the `holdout` model) and of the as-of snapshot's open
    leads (scored by the `production` model): the predictive lead score, applied in SQL from the coefficients
    the training step stored (gtm/training/lead_scoring.py; schema model_parameters). The design matrix is the
    training's: log1p of the numeric features the model has (0/1 for the stage flags), one indicator per
    category level plus one for `(other)`, each standardised with the training rows' mean and scale. A
    feature's contribution is its coefficient times its standardised value; the contributions of a
    category's indicators add up to one group; the intercept and every contribution add up to the log-odds.
    The rules-based scores get a probability from their Platt scaling. A feature the model has and the inputs
    lack leaves the log-odds null (the not_null check fails): nothing is dropped silently. -#}

{%- set numeric_columns = [
    'web_visit_recent_count', 'form_submission_count', 'form_submission_recent_count',
    'email_open_count', 'email_open_recent_count', 'email_click_count', 'email_click_recent_count',
    'webinar_attendance_count', 'webinar_attendance_recent_count', 'event_attendance_count',
    'event_attendance_recent_count', 'content_download_count', 'content_download_recent_count',
    'paid_search_visit_count', 'display_visit_count', 'email_visit_count',
    'organic_search_visit_count', 'organic_social_visit_count', 'referral_visit_count', 'direct_visit_count',
    'events_and_webinars_visit_count', 'content_syndication_visit_count', 'other_visit_count',
    'google_ads_visit_count', 'facebook_ads_visit_count', 'linkedin_ads_visit_count',
    'account_employees', 'days_since_mql', 'days_since_sql',
] -%}
{%- set stage_columns = ['has_reached_mql', 'has_reached_sql'] -%}
{%- set categorical_columns = ['seniority', 'company_size_band', 'industry', 'country_code', 'email_type'] -%}

with

inputs as (
    select
        person_id,
        snapshot_date,
        is_holdout,
        is_as_of,
        is_open_lead,
        {%- for column in numeric_columns + stage_columns + categorical_columns %}
            {{ column }},
        {%- endfor %}
        fit_score,
        engagement_score,
        lead_score
    from {{ ref('int_lead_score_inputs_joined') }}
    where is_holdout or (is_as_of and is_open_lead)
),

models as (
    select
        model_name,
        intercept,
        lead_score_platt_intercept,
        lead_score_platt_slope,
        fit_score_platt_intercept,
        fit_score_platt_slope,
        engagement_score_platt_intercept,
        engagement_score_platt_slope,
        training_snapshots,
        training_rows,
        training_positives
    from {{ ref('stg_model_parameters__lead_score_models') }}
),

coefficients as (
    select
        model_name,
        feature_group,
        feature_group_order,
        source_column,
        category_level,
        is_other_level,
        is_log_scaled,
        feature_mean,
        feature_scale,
        coefficient
    from {{ ref('stg_model_parameters__lead_score_coefficients') }}
),

scored_rows as (
    select
        person_id,
        snapshot_date,
        case when is_holdout then 'holdout' else 'production' end as model_name
    from inputs
),

-- Each numeric feature as a row: missing as 0, negatives clipped to 0 (log1p applied with the coefficients).
numeric_values as (
    {%- for column in numeric_columns + stage_columns %}
        select
            person_id,
            snapshot_date,
            '{{ column }}' as source_column,
            {%- if column in stage_columns %}
                cast(case when {{ column }} then 1 else 0 end as {{ type_double() }}) as raw_value
            {%- else %}
                greatest(coalesce(cast({{ column }} as {{ type_double() }}), 0), 0) as raw_value
            {%- endif %}
        from inputs
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- Each category as a row, as the training saw it: lower case, missing as `(missing)`.
category_values as (
    {%- for column in categorical_columns %}
        select
            person_id,
            snapshot_date,
            '{{ column }}' as source_column,
            lower(coalesce({{ column }}, '(missing)')) as category_value
        from inputs
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- The categories whose value is one of the model's levels (the others fall in `(other)`).
known_categories as (
    select
        scored_rows.person_id,
        scored_rows.snapshot_date,
        scored_rows.model_name,
        category_values.source_column
    from scored_rows
    inner join category_values
        on
            scored_rows.person_id = category_values.person_id
            and scored_rows.snapshot_date = category_values.snapshot_date
    inner join coefficients
        on
            scored_rows.model_name = coefficients.model_name
            and category_values.source_column = coefficients.source_column
            and category_values.category_value = coefficients.category_level
            and not coefficients.is_other_level
),

feature_values as (
    select
        scored_rows.person_id,
        scored_rows.snapshot_date,
        scored_rows.model_name,
        coefficients.feature_group,
        coefficients.feature_group_order,
        case
            when category_values.category_value is not null
                then {{ dbt.concat(['coefficients.feature_group', "': '", 'category_values.category_value']) }}
            else coefficients.feature_group
        end as group_label,
        case
            when coefficients.category_level is null and coefficients.is_log_scaled
                then ln(1 + numeric_values.raw_value)
            when coefficients.category_level is null then numeric_values.raw_value
            when coefficients.is_other_level and known_categories.source_column is null then 1.0
            when coefficients.is_other_level then 0.0
            when category_values.category_value = coefficients.category_level then 1.0
            when category_values.category_value is not null then 0.0
        end as feature_value,
        coefficients.feature_mean,
        coefficients.feature_scale,
        coefficients.coefficient
    from scored_rows
    inner join coefficients
        on scored_rows.model_name = coefficients.model_name
    left join numeric_values
        on
            coefficients.category_level is null
            and scored_rows.person_id = numeric_values.person_id
            and scored_rows.snapshot_date = numeric_values.snapshot_date
            and coefficients.source_column = numeric_values.source_column
    left join category_values
        on
            coefficients.category_level is not null
            and scored_rows.person_id = category_values.person_id
            and scored_rows.snapshot_date = category_values.snapshot_date
            and coefficients.source_column = category_values.source_column
    left join known_categories
        on
            coefficients.is_other_level
            and scored_rows.person_id = known_categories.person_id
            and scored_rows.snapshot_date = known_categories.snapshot_date
            and scored_rows.model_name = known_categories.model_name
            and coefficients.source_column = known_categories.source_column
),

group_contributions as (
    select
        person_id,
        snapshot_date,
        model_name,
        feature_group,
        feature_group_order,
        max(group_label) as group_label,
        sum((feature_value - feature_mean) / feature_scale * coefficient) as contribution,
        count(*) - count(feature_value) as missing_features
    from feature_values
    group by person_id, snapshot_date, model_name, feature_group, feature_group_order
),

-- Largest contribution first; ties by the group's name (its position by code point, whatever the collation).
ranked as (
    select
        person_id,
        snapshot_date,
        model_name,
        group_label,
        contribution,
        missing_features,
        row_number() over (
            partition by person_id, snapshot_date, model_name
            order by contribution desc, feature_group_order asc
        ) as signal_rank
    from group_contributions
),

explained as (
    select
        person_id,
        snapshot_date,
        model_name,
        {%- for rank in [1, 2, 3] %}
            max(case when signal_rank = {{ rank }} then group_label end) as top_predictive_signal_{{ rank }},
            max(case when signal_rank = {{ rank }} then contribution end)
                as top_predictive_signal_{{ rank }}_contribution,
        {%- endfor %}
        sum(contribution) as contribution_total,
        sum(missing_features) as missing_features
    from ranked
    group by person_id, snapshot_date, model_name
),

log_odds as (
    select
        explained.person_id,
        explained.snapshot_date,
        explained.model_name,
        case
            when explained.missing_features = 0 then models.intercept + explained.contribution_total
        end as predictive_log_odds,
        {%- for rank in [1, 2, 3] %}
            explained.top_predictive_signal_{{ rank }},
            explained.top_predictive_signal_{{ rank }}_contribution,
        {%- endfor %}
        {%- for score in ['lead_score', 'fit_score', 'engagement_score'] %}
            models.{{ score }}_platt_intercept + models.{{ score }}_platt_slope
            * cast(inputs.{{ score }} as {{ type_double() }}) as {{ score }}_log_odds,
        {%- endfor %}
        models.training_snapshots,
        models.training_rows,
        models.training_positives
    from explained
    inner join models
        on explained.model_name = models.model_name
    inner join inputs
        on
            explained.person_id = inputs.person_id
            and explained.snapshot_date = inputs.snapshot_date
),

final as (
    select
        person_id,
        cast(snapshot_date as {{ dbt.type_timestamp() }}) as snapshot_date,
        model_name,
        predictive_log_odds,
        1.0 / (1.0 + exp(-predictive_log_odds)) as predictive_probability,
        {%- for rank in [1, 2, 3] %}
            top_predictive_signal_{{ rank }},
            top_predictive_signal_{{ rank }}_contribution,
        {%- endfor %}
        {%- for score in ['lead_score', 'fit_score', 'engagement_score'] %}
            1.0 / (1.0 + exp(-{{ score }}_log_odds)) as {{ score }}_probability,
        {%- endfor %}
        training_snapshots,
        training_rows,
        training_positives
    from log_odds
)

select * from final
