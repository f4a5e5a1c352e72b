{#- Run at the start of every dbt run, build and test (on-run-start): each source system switched on
    (var `<source>_enabled`) must have its raw schema in the warehouse, and at least one CRM must be on.
    Otherwise the run stops before any model is built, with one line naming the source and what to do.
    Skipped by the offline compile of the clouds (var offline_compile: no connection to ask). -#}
{% macro check_enabled_sources() %}
    {%- if execute and not var('offline_compile', false) %}
        {%- set systems = ['salesforce', 'hubspot', 'google_ads', 'facebook_ads', 'linkedin_ads'] %}
        {%- if not var('salesforce_enabled') and not var('hubspot_enabled') %}
            {{ exceptions.raise_compiler_error(
                "No CRM is switched on (vars salesforce_enabled and hubspot_enabled are both false): load "
                ~ "Salesforce or HubSpot (`gtm ingest salesforce`) and switch it on."
            ) }}
        {%- endif %}
        {%- for system in systems if var(system ~ '_enabled') %}
            {%- set schemas = [] %}
            {%- for node in graph.sources.values() if node.source_name == system %}
                {%- do schemas.append(node.schema) if node.schema not in schemas %}
            {%- endfor %}
            {%- for schema in schemas %}
                {%- if not adapter.check_schema_exists(target.database, schema) %}
                    {{ exceptions.raise_compiler_error(
                        "Source " ~ system ~ " is switched on (var " ~ system ~ "_enabled) but its raw schema "
                        ~ schema ~ " is absent: load it (`gtm ingest " ~ system ~ "`) or switch it off "
                        ~ "(dbt build --vars '{" ~ system ~ "_enabled: false}'); nothing was built."
                    ) }}
                {%- endif %}
            {%- endfor %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
