"""Training of the predictive lead score: P(a person becomes an opportunity within the horizon).

Two logistic regressions (scikit-learn) over the snapshots of int_lead_score_inputs_joined, whose
coefficients the SQL model int_lead_scores_predicted applies on every engine (docs/engines.md):

- the `holdout` model, trained only on snapshots whose label window ends by the cutoff
  (`is_labelled_by_cutoff`), scores the hold-out snapshot (at var('lead_scoring_cutoff_date')):
  what the evaluation (rpt_lead_score_evaluation) measures;
- the `production` model, trained on every labelled snapshot (`is_labelled`: label window ended by
  the as-of date, the hold-out included), scores the open leads of the as-of snapshot.

Features (all from events strictly before the snapshot): log1p of every `*_count` column (signals
by type, ever and in the recent days, visits by channel and ad platform; totals of other counts
left out), log1p of the account's employees, whether the CRM had the person as an MQL and as an
SQL before the snapshot and log1p of the days since, and one-hot fit attributes (seniority,
company size band, industry, country, e-mail type; values seen fewer than MIN_CATEGORY_ROWS times
in the training pool as `(other)`), standardised on the training rows. No feature describes
calendar time (see the doc block `lead_scoring__predictive`). The rules-based scores (fit,
engagement, lead score) also get a probability, by Platt scaling (a one-feature logistic
regression) fitted on the same training rows, so their Brier scores and reliability are comparable
with the model's.

Explanations: a feature's contribution is its coefficient times its standardised value (the
contributions and the intercept add up to the log-odds); the one-hot columns of an attribute add up
to one contribution. The three largest contributions are the top signals.

Deterministic: no sampling, no clock; lbfgs on fixed data, rows sorted by snapshot and person.
`score_all` and `predict` apply the fitted models in Python exactly as the SQL model does: the
reference tests/models/test_lead_scoring.py checks; the build never runs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

CATEGORICAL_FEATURES = ("seniority", "company_size_band", "industry", "country_code", "email_type")
# log1p'd like the counts (missing = 0): the account's size, the days since the person became an
# MQL and an SQL.
EXTRA_LOG_FEATURES = ("account_employees", "days_since_mql", "days_since_sql")
# 0/1: the funnel stage the CRM had recorded before the snapshot.
STAGE_FEATURES = ("has_reached_mql", "has_reached_sql")
# Counts that are sums of other counts (all signals; web visits = visits by channel; paid social =
# Meta + LinkedIn): left out, so no two features explain the same touches.
TOTAL_COUNTS = ("signal_count", "web_visit_count", "paid_social_visit_count")
MIN_CATEGORY_ROWS = 20
OTHER = "(other)"
TOP_SIGNALS = 3
RULE_SCORES = ("lead_score", "fit_score", "engagement_score")


def numeric_feature_columns(columns: list[str]) -> list[str]:
    """Return the numeric features present: `*_count` columns but TOTAL_COUNTS, then the rest."""
    counts = [
        column for column in columns if column.endswith("_count") and column not in TOTAL_COUNTS
    ]
    extra = [column for column in (*EXTRA_LOG_FEATURES, *STAGE_FEATURES) if column in columns]
    return counts + extra


def category_levels(train: pd.DataFrame, min_rows: int = MIN_CATEGORY_ROWS) -> dict:
    """Map each categorical feature to its levels: values with at least `min_rows` training rows.

    Levels are sorted; a missing value is the level `(missing)` when frequent enough.
    """
    levels = {}
    for column in CATEGORICAL_FEATURES:
        values = train[column].fillna("(missing)").astype(str).str.lower()
        counts = values.value_counts()
        levels[column] = sorted(counts[counts >= min_rows].index.tolist())
    return levels


def design_matrix(frame: pd.DataFrame, numeric: list[str], levels: dict) -> tuple:
    """Build the raw feature matrix and the group (explanation name) of each of its columns.

    Numeric features are log1p'd (missing and negative values as 0), the 0/1 STAGE_FEATURES kept as
    they are; each categorical feature becomes one indicator per level plus one for `(other)`.
    Returns (matrix, column names, groups).
    """
    blocks = []
    names = []
    groups = []
    for column in numeric:
        values = frame[column].astype(float).fillna(0.0).clip(lower=0.0).to_numpy()
        blocks.append(values if column in STAGE_FEATURES else np.log1p(values))
        names.append(column)
        groups.append(column)
    for column in CATEGORICAL_FEATURES:
        values = frame[column].fillna("(missing)").astype(str).str.lower().to_numpy()
        known = np.zeros(len(frame), dtype=bool)
        for level in levels[column]:
            indicator = values == level
            known |= indicator
            blocks.append(indicator.astype(float))
            names.append(f"{column}={level}")
            groups.append(column)
        blocks.append((~known).astype(float))
        names.append(f"{column}={OTHER}")
        groups.append(column)
    matrix = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
    return matrix, names, groups


def fit_model(train: pd.DataFrame, numeric: list[str], regularisation: float = 1.0) -> dict:
    """Fit the standardised logistic regression on the labelled training rows.

    Returns a dict with the levels, the standardisation (mean, scale; constant columns get scale
    1), the coefficients and intercept, and the training size.
    """
    from sklearn.linear_model import LogisticRegression

    labels = train["became_opportunity_within_horizon"].astype(bool).to_numpy()
    levels = category_levels(train)
    matrix, names, groups = design_matrix(train, numeric, levels)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    standardised = (matrix - mean) / scale
    if labels.all() or not labels.any():
        coefficients = np.zeros(matrix.shape[1])
        rate = min(max(labels.mean() if len(labels) else 0.5, 1e-6), 1 - 1e-6)
        intercept = math.log(rate / (1 - rate))
    else:
        regression = LogisticRegression(C=regularisation, max_iter=1000)
        regression.fit(standardised, labels)
        coefficients = regression.coef_[0]
        intercept = float(regression.intercept_[0])
    return {
        "numeric": list(numeric),
        "levels": levels,
        "names": names,
        "groups": groups,
        "mean": mean,
        "scale": scale,
        "coefficients": coefficients,
        "intercept": intercept,
        "rows": len(train),
        "positives": int(labels.sum()),
    }


def group_labels(group: str, frame: pd.DataFrame) -> np.ndarray:
    """Name a contribution group for each row: `seniority: vp` for a category, else the column."""
    if group in CATEGORICAL_FEATURES:
        values = frame[group].fillna("(missing)").astype(str).str.lower().to_numpy()
        return np.array([f"{group}: {value}" for value in values], dtype=object)
    return np.full(len(frame), group, dtype=object)


def predict(model: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Score `frame`: probability and the TOP_SIGNALS largest contributions to the log-odds.

    Returns a frame aligned with `frame` with `predictive_probability`, `predictive_log_odds` and
    `top_predictive_signal_<n>` / `top_predictive_signal_<n>_contribution` for n = 1..TOP_SIGNALS
    (ties by group name; null when there are fewer groups).
    """
    matrix, _, _ = design_matrix(frame, model["numeric"], model["levels"])
    standardised = (matrix - model["mean"]) / model["scale"]
    contributions = standardised * model["coefficients"]
    log_odds = model["intercept"] + contributions.sum(axis=1)
    groups = model["groups"]
    group_names = list(dict.fromkeys(groups))
    grouped = np.column_stack(
        [
            contributions[:, [i for i, g in enumerate(groups) if g == name]].sum(axis=1)
            for name in group_names
        ]
    )
    result = pd.DataFrame(index=frame.index)
    result["predictive_log_odds"] = log_odds
    result["predictive_probability"] = 1.0 / (1.0 + np.exp(-log_odds))
    # Largest contribution first; ties by the group's name (stable order of a sorted list).
    alphabetical = np.argsort(np.array(group_names), kind="stable")
    order = alphabetical[np.argsort(-grouped[:, alphabetical], axis=1, kind="stable")]
    labels = np.column_stack([group_labels(name, frame) for name in group_names])
    positions = np.arange(len(frame))
    for rank in range(TOP_SIGNALS):
        if rank < len(group_names):
            result[f"top_predictive_signal_{rank + 1}"] = labels[positions, order[:, rank]]
            result[f"top_predictive_signal_{rank + 1}_contribution"] = grouped[
                positions, order[:, rank]
            ]
        else:
            result[f"top_predictive_signal_{rank + 1}"] = None
            result[f"top_predictive_signal_{rank + 1}_contribution"] = np.nan
    return result


def platt_scaling(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Fit P(label) = sigmoid(a + b * score) (an unregularised one-feature logistic regression).

    Returns (a, b); (log-odds of the base rate, 0) when the labels are all equal.
    """
    from sklearn.linear_model import LogisticRegression

    labels = labels.astype(bool)
    if labels.all() or not labels.any():
        rate = min(max(labels.mean() if len(labels) else 0.5, 1e-6), 1 - 1e-6)
        return math.log(rate / (1 - rate)), 0.0
    regression = LogisticRegression(C=1e6, max_iter=1000)
    regression.fit((scores.astype(float) / 100.0).reshape(-1, 1), labels)
    return float(regression.intercept_[0]), float(regression.coef_[0][0]) / 100.0


@dataclass(frozen=True)
class TrainedModel:
    """One fitted model (`holdout` or `production`), its Platt scalings and its training pool."""

    model_name: str
    fitted: dict
    """What `fit_model` returns."""
    platt: dict[str, tuple[float, float]]
    """Each rules-based score's Platt scaling (intercept, slope)."""
    training_snapshots: int
    as_of_date: Any
    """The as-of snapshot's date; the cutoff is the hold-out snapshot's."""
    cutoff_date: Any


def _snapshot_date(features: pd.DataFrame, flag: str) -> Any:
    dates = features.loc[features[flag].astype(bool), "snapshot_date"]
    return None if dates.empty else pd.Timestamp(dates.max()).date()


def train_model(features: pd.DataFrame, train_mask: pd.Series, model_name: str) -> TrainedModel:
    """Fit the model and the rules-based scores' Platt scalings on the rows of `train_mask`."""
    numeric = numeric_feature_columns(list(features.columns))
    train = features[train_mask]
    fitted = fit_model(train, numeric)
    labels = train["became_opportunity_within_horizon"].astype(bool).to_numpy()
    platt = {score: platt_scaling(train[score].to_numpy(), labels) for score in RULE_SCORES}
    return TrainedModel(
        model_name=model_name,
        fitted=fitted,
        platt=platt,
        training_snapshots=int(train["snapshot_date"].nunique()),
        as_of_date=_snapshot_date(features, "is_as_of"),
        cutoff_date=_snapshot_date(features, "is_holdout"),
    )


def sorted_features(features: pd.DataFrame) -> pd.DataFrame:
    """Return the rows in a fixed order (snapshot, person): the fits do not depend on read order."""
    return features.sort_values(["snapshot_date", "person_id"]).reset_index(drop=True)


def train(features: pd.DataFrame) -> list[TrainedModel]:
    """Train the `holdout` and the `production` models."""
    features = sorted_features(features)
    return [
        train_model(features, features["is_labelled_by_cutoff"].astype(bool), "holdout"),
        train_model(features, features["is_labelled"].astype(bool), "production"),
    ]


def score_snapshot(
    features: pd.DataFrame, trained: TrainedModel, score_mask: pd.Series
) -> pd.DataFrame:
    """Score the rows of `score_mask` with `trained` (one output row each), in Python."""
    target = features[score_mask]
    scored = predict(trained.fitted, target)
    for score in RULE_SCORES:
        intercept, slope = trained.platt[score]
        log_odds = intercept + slope * target[score].astype(float).to_numpy()
        scored[f"{score}_probability"] = 1.0 / (1.0 + np.exp(-log_odds))
    out = pd.DataFrame(
        {
            "person_id": target["person_id"].to_numpy(),
            "snapshot_date": target["snapshot_date"].to_numpy(),
            "model_name": trained.model_name,
        }
    )
    for column in scored.columns:
        out[column] = scored[column].to_numpy()
    out["training_snapshots"] = trained.training_snapshots
    out["training_rows"] = trained.fitted["rows"]
    out["training_positives"] = trained.fitted["positives"]
    return out


def score_all(features: pd.DataFrame) -> pd.DataFrame:
    """Train, then score the hold-out with `holdout` and the as-of open leads with `production`.

    The Python reference of int_lead_scores_predicted (SQL over the stored coefficients).
    """
    features = sorted_features(features)
    holdout, production = train(features)
    return pd.concat(
        [
            score_snapshot(features, holdout, features["is_holdout"].astype(bool)),
            score_snapshot(
                features,
                production,
                features["is_as_of"].astype(bool) & features["is_open_lead"].astype(bool),
            ),
        ],
        ignore_index=True,
    )
