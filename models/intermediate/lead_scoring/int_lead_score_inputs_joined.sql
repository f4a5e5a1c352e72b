{#- One row per person and feature snapshot of the training pool, the hold-out and the as-of open leads: what
    the predictive model's training (gtm/training/lead_scoring.py) reads and int_lead_scores_predicted
    scores. The snapshot features
    (int_lead_score_features_snapshotted) beside the rules-based scores of the same snapshot
    (int_lead_scores_calculated), which the training calibrates. -#}

{%- set signal_types = [
    'web_visit',
    'form_submission',
    'email_open',
    'email_click',
    'webinar_attendance',
    'event_attendance',
    'content_download',
] -%}
{%- set visit_columns = [
    'paid_search',
    'paid_social',
    'display',
    'email',
    'organic_search',
    'organic_social',
    'referral',
    'direct',
    'events_and_webinars',
    'content_syndication',
    'other',
    'google_ads',
    'facebook_ads',
    'linkedin_ads',
] -%}

with

features as (
    select
        person_id,
        snapshot_date,
        is_labelled_by_cutoff,
        is_holdout,
        is_labelled,
        is_as_of,
        is_open_lead,
        became_opportunity_within_horizon,
        industry,
        account_employees,
        company_size_band,
        country_code,
        seniority,
        email_type,
        {%- for signal_type in signal_types %}
            {{ signal_type }}_count,
            {{ signal_type }}_recent_count,
        {%- endfor %}
        {%- for visit in visit_columns %}
            {{ visit }}_visit_count,
        {%- endfor %}
        signal_count,
        days_since_last_signal,
        has_reached_mql,
        has_reached_sql,
        days_since_mql,
        days_since_sql
    from {{ ref('int_lead_score_features_snapshotted') }}
    where is_labelled or is_holdout or (is_as_of and is_open_lead)
),

rules as (
    select
        person_id,
        snapshot_date,
        fit_score,
        engagement_score,
        lead_score
    from {{ ref('int_lead_scores_calculated') }}
),

final as (
    select
        features.person_id,
        features.snapshot_date,
        features.is_labelled_by_cutoff,
        features.is_holdout,
        features.is_labelled,
        features.is_as_of,
        features.is_open_lead,
        features.became_opportunity_within_horizon,
        features.industry,
        features.account_employees,
        features.company_size_band,
        features.country_code,
        features.seniority,
        features.email_type,
        {%- for signal_type in signal_types %}
            features.{{ signal_type }}_count,
            features.{{ signal_type }}_recent_count,
        {%- endfor %}
        {%- for visit in visit_columns %}
            features.{{ visit }}_visit_count,
        {%- endfor %}
        features.signal_count,
        features.days_since_last_signal,
        features.has_reached_mql,
        features.has_reached_sql,
        features.days_since_mql,
        features.days_since_sql,
        rules.fit_score,
        rules.engagement_score,
        rules.lead_score
    from features
    inner join rules
        on
            features.person_id = rules.person_id
            and features.snapshot_date = rules.snapshot_date
)

select * from final
