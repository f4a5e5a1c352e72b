"""The parameter tables the training writes and the SQL models read (source `model_parameters`).

Each table is a name, typed columns and rows; `gtm.training.warehouse` writes it on the target's own
engine. Every row carries what it was trained on (row counts; the lead score's as-of and cutoff
dates), which data tests compare with the current inputs. See
models/staging/model_parameters/_model_parameters__sources.yml for the columns' meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gtm.training import attribution, lead_scoring

SCHEMA = "model_parameters"
"""The schema (Spark: database) of the parameter tables, on every target."""

STRING, FLOAT, INTEGER, BOOLEAN, DATE = "string", "float", "integer", "boolean", "date"
"""Column kinds; each engine spells them in its own SQL (gtm.training.warehouse)."""


@dataclass(frozen=True)
class Table:
    """One parameter table: its name, (column, kind) pairs and rows."""

    name: str
    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]


def attribution_tables(trained: list[attribution.Parameters]) -> list[Table]:
    """Return the Markov shares and the data-driven coefficients of every conversion type."""
    counts = ("training_journeys", INTEGER), ("training_conversions", INTEGER)
    markov = Table(
        "attribution_markov_shares",
        (
            ("conversion_type", STRING),
            ("channel", STRING),
            ("removal_effect", FLOAT),
            ("channel_share", FLOAT),
            *counts,
            ("training_distinct_paths", INTEGER),
        ),
        [
            (
                model.conversion_type,
                channel,
                float(model.markov_effects[channel]),
                float(model.markov_shares[channel]),
                model.journeys,
                model.conversions,
                model.distinct_paths,
            )
            for model in trained
            for channel in sorted(model.markov_shares)
        ],
    )
    data_driven = Table(
        "attribution_data_driven_coefficients",
        (
            ("conversion_type", STRING),
            ("channel_key", STRING),
            ("coefficient", FLOAT),
            ("intercept", FLOAT),
            *counts,
            ("training_distinct_paths", INTEGER),
        ),
        [
            (
                model.conversion_type,
                channel,
                float(model.coefficients[channel]),
                float(model.intercept),
                model.journeys,
                model.conversions,
                model.distinct_histories,
            )
            for model in trained
            for channel in sorted(model.coefficients)
        ],
    )
    return [markov, data_driven]


def lead_score_tables(trained: list[lead_scoring.TrainedModel]) -> list[Table]:
    """Return the lead-score models (intercepts, Platt scalings, pools) and their coefficients."""
    platt_columns = tuple(
        (f"{score}_platt_{part}", FLOAT)
        for score in lead_scoring.RULE_SCORES
        for part in ("intercept", "slope")
    )
    models = Table(
        "lead_score_models",
        (
            ("model_name", STRING),
            ("intercept", FLOAT),
            *platt_columns,
            ("training_snapshots", INTEGER),
            ("training_rows", INTEGER),
            ("training_positives", INTEGER),
            ("as_of_date", DATE),
            ("cutoff_date", DATE),
        ),
        [
            (
                model.model_name,
                float(model.fitted["intercept"]),
                *(
                    float(value)
                    for score in lead_scoring.RULE_SCORES
                    for value in model.platt[score]
                ),
                model.training_snapshots,
                int(model.fitted["rows"]),
                int(model.fitted["positives"]),
                model.as_of_date,
                model.cutoff_date,
            )
            for model in trained
        ],
    )
    coefficients = Table(
        "lead_score_coefficients",
        (
            ("model_name", STRING),
            ("feature_name", STRING),
            ("feature_group", STRING),
            ("feature_group_order", INTEGER),
            ("source_column", STRING),
            ("category_level", STRING),
            ("is_other_level", BOOLEAN),
            ("is_log_scaled", BOOLEAN),
            ("feature_mean", FLOAT),
            ("feature_scale", FLOAT),
            ("coefficient", FLOAT),
        ),
        [row for model in trained for row in _coefficient_rows(model)],
    )
    return [models, coefficients]


def _coefficient_rows(model: lead_scoring.TrainedModel) -> list[tuple[Any, ...]]:
    fitted = model.fitted
    # Ties between contributions rank by the group's name as Python sorts it (by code point): its
    # position is stored, so no engine's collation decides.
    order = {group: position for position, group in enumerate(sorted(set(fitted["groups"])))}
    rows = []
    for position, (name, group) in enumerate(zip(fitted["names"], fitted["groups"], strict=True)):
        categorical = group in lead_scoring.CATEGORICAL_FEATURES
        level = name.split("=", 1)[1] if categorical else None
        rows.append(
            (
                model.model_name,
                name,
                group,
                order[group],
                group,
                level,
                categorical and level == lead_scoring.OTHER,
                not categorical and group not in lead_scoring.STAGE_FEATURES,
                float(fitted["mean"][position]),
                float(fitted["scale"][position]),
                float(fitted["coefficients"][position]),
            )
        )
    return rows
