{#- A company's domain: the host of its website, else the domain of a valid e-mail address unless it belongs
    to a free-mail provider (seed `free_email_domains`); null otherwise. Neither checks that the domain is
    a registrable one (`mail.acme.com` stays as it is). -#}
{% macro company_domain(website_column, email_column) -%}
    coalesce(
        {{ domain_from_url(website_column) }},
        case
            when {{ is_valid_email(email_column) }}
                and (
                    select count(*)
                    from (
                        select free_email_domains.domain as lookup_domain
                        from {{ ref('free_email_domains') }} as free_email_domains
                    ) as free_email_lookup
                    where free_email_lookup.lookup_domain = {{ email_domain(email_column) }}
                ) = 0
                then {{ email_domain(email_column) }}
        end
    )
{%- endmacro %}
