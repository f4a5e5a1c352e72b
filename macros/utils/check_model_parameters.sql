{#- Run at the start of every dbt run and build (on-run-start): when the selection builds a model that reads
    the trained parameters (source `model_parameters`) and a parameter table is absent, stop before anything is
    built with one line saying how to train (docs/engines.md). A selection that reads none passes, which is
    how the first phase of `gtm build` builds the training inputs before anything is trained. -#}
{% macro check_model_parameters() %}
    {%- if execute and flags.WHICH in ['run', 'build'] %}
        {#- The parameters' sources, and the models that stage them (views: reading one reads the table). -#}
        {%- set sources = {} %}
        {%- for node in graph.nodes.values() %}
            {%- for parent in node.depends_on.get('nodes', []) if parent.startswith('source.') %}
                {%- if graph.sources[parent].source_name == 'model_parameters' %}
                    {%- do sources.update({node.unique_id: graph.sources[parent]}) %}
                {%- endif %}
            {%- endfor %}
        {%- endfor %}
        {%- set readers = [] %}
        {%- for node in graph.nodes.values() if node.unique_id in selected_resources %}
            {%- for staged in [node.unique_id] + node.depends_on.get('nodes', []) if staged in sources %}
                {%- do readers.append(sources[staged]) %}
            {%- endfor %}
        {%- endfor %}
        {%- for table in readers %}
            {%- if adapter.get_relation(table.database, table.schema, table.identifier) is none %}
                {{ exceptions.raise_compiler_error(
                    "The trained model parameters " ~ table.schema ~ "." ~ table.identifier ~ " are absent: "
                    ~ "`gtm build` builds the training inputs, trains the models and then builds what reads "
                    ~ "them (or: dbt build --exclude source:model_parameters+, then gtm train, then "
                    ~ "dbt build --select source:model_parameters+); nothing was built."
                ) }}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
