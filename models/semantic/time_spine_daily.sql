{#- One row per calendar day from var('time_spine_start_date') to a year past var('as_of_date'): MetricFlow's
    time spine (models/semantic/_semantic__models.yml), which it joins to for cumulative metrics and to fill
    periods with no rows. Built from the vars, never the clock, so every rebuild holds the same days. -#}

with

days as (
    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('time_spine_start_date') ~ "' as date)",
        end_date=dbt.dateadd("year", 1, "cast('" ~ var('as_of_date') ~ "' as date)"),
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
