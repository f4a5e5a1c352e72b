"""The training step between the two phases of a build: read the inputs, fit, store the parameters.

`train_models` reads each model's training input (a dbt model that phase one built; its relation
named by dbt's manifest, so the same code serves every target), trains in Python
(gtm.training.attribution, gtm.training.lead_scoring) and replaces the parameter tables in schema
`model_parameters` (gtm.training.parameters), which phase two's SQL models read as a source.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from gtm.engines import Target
from gtm.errors import GtmError
from gtm.training import attribution, lead_scoring, parameters, warehouse

PROJECT = "gtm_warehouse"
TRAINING_INPUTS = {
    "attribution": "int_attribution_paths_listed",
    "lead_scoring": "int_lead_score_inputs_joined",
}
"""Each trained model's input: the dbt model it reads."""
PARAMETER_TABLES = {
    "attribution": ("attribution_markov_shares", "attribution_data_driven_coefficients"),
    "lead_scoring": ("lead_score_models", "lead_score_coefficients"),
}
"""The tables each trained model writes (source `model_parameters`)."""
SCORING_SELECTOR = "source:model_parameters+"
"""dbt's selector of what reads the parameters: the SQL models that apply them and downstream."""
ATTRIBUTION_COLUMNS = (
    "conversion_type",
    "conversion_id",
    "is_conversion",
    "channel_path",
    "attribution_channel_path",
    "history_attribution_channel_path",
)


@dataclass
class TrainingSummary:
    """What one training step did: the tables written (rows each) and how long it took."""

    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        """One line, e.g. `trained: lead_score_models (2 rows), ...`."""
        listed = ", ".join(f"{name} ({rows} rows)" for name, rows in self.tables.items())
        return f"trained in {self.seconds:.1f} s: {listed or 'nothing'}"


def input_relations(manifest: Path) -> dict[str, str]:
    """Return each training input's relation name (as the target spells it) from the manifest."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    found = {}
    for name, model in TRAINING_INPUTS.items():
        node = nodes.get(f"model.{PROJECT}.{model}")
        if node is not None and node.get("config", {}).get("enabled", True):
            found[name] = str(node["relation_name"])
    return found


def train_models(
    target: Target, duckdb_path: Path, manifest: Path, only: frozenset[str] | None = None
) -> TrainingSummary:
    """Train every model whose input the project builds (or those of `only`); write its tables.

    `only` names models of TRAINING_INPUTS (`gtm build` trains those whose input it just built).
    """
    if not manifest.exists():
        raise GtmError(f"cannot train: no dbt manifest at {manifest} (build the inputs first)")
    started = time.perf_counter()
    relations = {
        name: relation
        for name, relation in input_relations(manifest).items()
        if only is None or name in only
    }
    summary = TrainingSummary()
    with warehouse.connect(target, duckdb_path) as con:
        tables: list[parameters.Table] = []
        if "attribution" in relations:
            columns = ", ".join(ATTRIBUTION_COLUMNS)
            frame = con.query(f"select {columns} from {relations['attribution']}")
            journeys = attribution.journeys_from_rows(
                frame[list(ATTRIBUTION_COLUMNS)].itertuples(index=False, name=None)
            )
            tables += parameters.attribution_tables(attribution.train(journeys))
        if "lead_scoring" in relations:
            features = con.query(f"select * from {relations['lead_scoring']}")
            tables += parameters.lead_score_tables(lead_scoring.train(features))
        for table in tables:
            con.replace(table)
            summary.tables[table.name] = len(table.rows)
    summary.seconds = time.perf_counter() - started
    return summary
